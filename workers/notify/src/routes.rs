//! The shapes of the notify worker's paths, to tell a wrong method (405) from an unknown path
//! (404). `*` stands for one segment. Keep in step with the dispatch table in `lib.rs`.

/// Every path the notify worker serves.
pub const SHAPES: &[&str] = &[
    "v1/webhooks",
    "v1/webhooks/public-key",
    "v1/webhooks/*",
    "v1/webhooks/*/ping",
    "v1/webhooks/*/rotate-secret",
    "v1/webhooks/*/deliveries",
    "v1/webhooks/*/deliveries/replay",
    "v1/webhooks/*/deliveries/*/replay",
    "v1/me/notifications",
    "v1/dev/deliveries/run",
    "v1/dev/deliveries/cron",
];

/// Whether some method is routed for this path.
#[must_use]
pub fn is_known(path: &[&str]) -> bool {
    shared::routing::is_known(SHAPES, path)
}

#[cfg(test)]
mod tests {
    use super::{is_known, SHAPES};

    #[test]
    fn known_paths_are_told_from_unknown_ones() {
        assert!(is_known(&["v1", "webhooks"]));
        assert!(is_known(&["v1", "webhooks", "public-key"]));
        assert!(is_known(&[
            "v1",
            "webhooks",
            "whk_x",
            "deliveries",
            "dlv_x",
            "replay"
        ]));
        assert!(is_known(&[
            "v1",
            "webhooks",
            "whk_x",
            "deliveries",
            "replay"
        ]));
        assert!(!is_known(&[
            "v1",
            "webhooks",
            "whk_x",
            "deliveries",
            "dlv_x"
        ]));
        assert!(!is_known(&["v1", "webhooks", "whk_x", "pong"]));
    }

    /// Every path served is in the gateway's `/v1/openapi.json`, and every path documented for
    /// this worker is served.
    #[test]
    fn every_path_is_in_the_openapi_document_and_nothing_else() {
        let openapi = include_str!("../../gateway/openapi.json");
        assert_eq!(
            shared::routing::openapi_mismatches(openapi, "notify", SHAPES),
            Vec::<String>::new()
        );
    }
}
