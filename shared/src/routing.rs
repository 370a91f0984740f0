//! Route shapes: each worker lists the paths it serves (`v1/documents/*/ack`, `*` standing for
//! one segment) so it can tell a wrong method (405) from an unknown path (404), and so a test
//! can hold the shapes against the OpenAPI document.

/// Whether `path` (split into segments) has one of the `shapes`.
#[must_use]
pub fn is_known(shapes: &[&str], path: &[&str]) -> bool {
    shapes.iter().any(|shape| covers(shape, path))
}

/// Whether one shape covers a path given as segments.
#[must_use]
pub fn covers<S: AsRef<str>>(shape: &str, path: &[S]) -> bool {
    let parts: Vec<&str> = shape.split('/').collect();
    parts.len() == path.len()
        && parts
            .iter()
            .zip(path)
            .all(|(p, s)| *p == "*" || *p == s.as_ref())
}

/// Compares a worker's shapes with the OpenAPI document the gateway serves: every shape must be
/// documented, and every documented path of this worker (`x-tradepost-worker` on the path item;
/// absent means the registry) must be served. Returns what does not fit, for a test to show.
#[must_use]
pub fn openapi_mismatches(openapi: &str, worker: &str, shapes: &[&str]) -> Vec<String> {
    let Ok(doc) = serde_json::from_str::<serde_json::Value>(openapi) else {
        return vec!["openapi.json does not parse".to_owned()];
    };
    let Some(paths) = doc["paths"].as_object() else {
        return vec!["openapi.json has no paths".to_owned()];
    };
    let segments = |p: &str| -> Vec<String> {
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
    };
    let all: Vec<Vec<String>> = paths.keys().map(|p| segments(p)).collect();
    let mine: Vec<(&String, Vec<String>)> = paths
        .iter()
        .filter(|(p, item)| {
            p.as_str() != "/v1/openapi.json"
                && item
                    .get("x-tradepost-worker")
                    .and_then(serde_json::Value::as_str)
                    .unwrap_or("registry")
                    == worker
        })
        .map(|(p, _)| (p, segments(p)))
        .collect();
    let mut wrong = Vec::new();
    for shape in shapes {
        if !all.iter().any(|path| covers(shape, path)) {
            wrong.push(format!("{shape} is served but not in openapi.json"));
        }
    }
    for (path, segs) in mine {
        if !shapes.iter().any(|shape| covers(shape, &segs)) {
            wrong.push(format!(
                "{path} is in openapi.json for {worker} but not served"
            ));
        }
    }
    wrong
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shapes_match_whole_segments() {
        let shapes = ["v1/users", "v1/users/*", "v1/relationships/*/*"];
        assert!(is_known(&shapes, &["v1", "users", "us_x"]));
        assert!(is_known(
            &shapes,
            &["v1", "relationships", "rel_x", "approve"]
        ));
        assert!(!is_known(&shapes, &["v1", "users", "us_x", "extra"]));
        assert!(!is_known(&shapes, &["v1", "usersx"]));
        assert!(!is_known(&shapes, &[]));
    }
}
