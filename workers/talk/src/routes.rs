//! The shapes of the talk worker's paths, to tell a wrong method (405) from an unknown path
//! (404). `*` stands for one segment. Keep in step with the dispatch table in `lib.rs`.

/// Every path the talk worker serves.
pub const SHAPES: &[&str] = &[
    "v1/threads",
    "v1/threads/*",
    "v1/threads/*/messages",
    "v1/threads/*/read",
    "v1/attachments",
    "v1/attachments/*/content",
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
        assert!(is_known(&["v1", "threads", "thr_x", "messages"]));
        assert!(is_known(&["v1", "attachments", "att_x", "content"]));
        assert!(!is_known(&["v1", "attachments", "att_x"]));
        assert!(!is_known(&["v1", "threads", "thr_x", "nope"]));
    }

    /// Every path served is in the gateway's `/v1/openapi.json`, and every path documented for
    /// this worker is served.
    #[test]
    fn every_path_is_in_the_openapi_document_and_nothing_else() {
        let openapi = include_str!("../../gateway/openapi.json");
        assert_eq!(
            shared::routing::openapi_mismatches(openapi, "talk", SHAPES),
            Vec::<String>::new()
        );
    }
}
