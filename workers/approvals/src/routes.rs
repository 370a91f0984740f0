//! The shapes of the approvals worker's paths, to tell a wrong method (405) from an unknown path
//! (404). `*` stands for one segment. Keep in step with the dispatch table in `lib.rs`.

/// Every path the approvals worker serves.
pub const SHAPES: &[&str] = &[
    "v1/documents/*/proofs",
    "v1/approvals",
    "v1/approvals/*",
    "v1/approvals/*/content",
    "v1/approvals/*/approve",
    "v1/approvals/*/reject",
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
        assert!(is_known(&["v1", "documents", "doc_x", "proofs"]));
        assert!(is_known(&["v1", "approvals", "apr_x", "reject"]));
        assert!(!is_known(&["v1", "approvals", "apr_x", "undo"]));
        assert!(!is_known(&["v1", "documents", "doc_x"]));
    }

    /// Every path served is in the gateway's `/v1/openapi.json`, and every path documented for
    /// this worker is served.
    #[test]
    fn every_path_is_in_the_openapi_document_and_nothing_else() {
        let openapi = include_str!("../../gateway/openapi.json");
        assert_eq!(
            shared::routing::openapi_mismatches(openapi, "approvals", SHAPES),
            Vec::<String>::new()
        );
    }
}
