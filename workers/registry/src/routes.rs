//! The shapes of the registry's paths, to tell a wrong method (405) from an unknown path (404).
//! `*` stands for one id segment. Keep in step with the dispatch table in `lib.rs`.

/// Every path the registry serves.
pub const SHAPES: &[&str] = &[
    "v1/auth/signup",
    "v1/auth/confirm",
    "v1/auth/login",
    "v1/auth/refresh",
    "v1/auth/logout",
    "v1/auth/password-reset",
    "v1/auth/password-reset/confirm",
    "v1/auth/accept-invitation",
    "v1/auth/jwks.json",
    "v1/me",
    "v1/users",
    "v1/users/*",
    "v1/api-keys",
    "v1/api-keys/*",
    "v1/companies",
    "v1/companies/*",
    "v1/relationships",
    "v1/relationships/*",
    "v1/relationships/*/*",
    "v1/cards/me",
    "v1/cards/me/send",
    "v1/contacts",
    "v1/contacts/*",
    "v1/contacts/*/vcard",
    "v1/dev/mail",
    "v1/dev/events",
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
        assert!(is_known(&["v1", "users", "us_x"]));
        assert!(is_known(&["v1", "relationships", "rel_x", "approve"]));
        assert!(is_known(&["v1", "auth", "login"]));
        assert!(!is_known(&["v1", "auth", "nope"]));
        assert!(!is_known(&["v1", "users", "us_x", "extra"]));
        assert!(!is_known(&[]));
    }

    /// The gateway serves this document as `/v1/openapi.json`; it must describe every path the
    /// registry serves, and nothing the registry does not serve.
    #[test]
    fn every_path_is_in_the_openapi_document_and_nothing_else() {
        let openapi = include_str!("../../gateway/openapi.json");
        assert_eq!(
            shared::routing::openapi_mismatches(openapi, "registry", SHAPES),
            Vec::<String>::new()
        );
    }
}
