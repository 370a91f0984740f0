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
    SHAPES.iter().any(|shape| {
        let parts: Vec<&str> = shape.split('/').collect();
        parts.len() == path.len() && parts.iter().zip(path).all(|(p, s)| *p == "*" || p == s)
    })
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
    const OPENAPI: &str = include_str!("../../gateway/openapi.json");

    #[test]
    fn every_path_is_in_the_openapi_document_and_nothing_else() {
        let doc: serde_json::Value = serde_json::from_str(OPENAPI).unwrap();
        assert_eq!(doc["openapi"], "3.1.0");
        let documented: Vec<Vec<String>> = doc["paths"]
            .as_object()
            .unwrap()
            .keys()
            .filter(|p| p.as_str() != "/v1/openapi.json")
            .map(|p| {
                p.trim_start_matches('/')
                    .split('/')
                    .map(|seg| {
                        if seg.starts_with('{') {
                            "*".to_owned()
                        } else {
                            seg.to_owned()
                        }
                    })
                    .collect()
            })
            .collect();
        // A shape's `*` stands for an id or, in `relationships/*/*`, for an action name.
        let covers = |shape: &str, path: &[String]| {
            let parts: Vec<&str> = shape.split('/').collect();
            parts.len() == path.len() && parts.iter().zip(path).all(|(s, p)| *s == "*" || s == p)
        };
        for shape in SHAPES {
            assert!(
                documented.iter().any(|path| covers(shape, path)),
                "{shape} is served but not in openapi.json"
            );
        }
        for path in &documented {
            assert!(
                SHAPES.iter().any(|shape| covers(shape, path)),
                "/{} is in openapi.json but not served",
                path.join("/")
            );
        }
    }
}
