//! The pages mail links open: a newcomer clicking the confirmation link in a mail lands on the
//! portal of this stack (tests/tests/portal.rs clicks through what the pages then do).

use reqwest::Method;
use tradepost_e2e::{base_url, mail_links, signup_body, Api};

#[test]
fn the_confirmation_link_in_the_mail_opens_a_page_of_this_stack() {
    let api = Api::new();
    let body = signup_body("linkpage");
    api.post("/v1/auth/signup", body.clone(), 201);
    let email = body["email"].as_str().unwrap();
    let links = mail_links(email, "/confirm?token=");
    let link = links
        .first()
        .expect("the sign-up should send a confirmation mail");
    let path = link.strip_prefix(&base_url()).unwrap_or_else(|| {
        panic!(
            "the link {link} should point at this stack ({})",
            base_url()
        )
    });

    let page = api.run(Method::GET, path, api.raw(Method::GET, path));
    assert_eq!(page.status, 200, "{}", page.text);
    assert!(page.content_type().starts_with("text/html"));
    assert!(
        page.text.contains(r#"src="/js/app.js""#),
        "the link opens the portal: {}",
        page.text
    );

    for path in ["/reset-password?token=x", "/accept-invitation?token=x"] {
        let page = api.run(Method::GET, path, api.raw(Method::GET, path));
        assert_eq!(page.status, 200, "{path}: {}", page.text);
        assert!(
            page.text.contains(r#"src="/js/app.js""#),
            "{path} should open the portal"
        );
    }
}
