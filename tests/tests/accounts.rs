//! Accounts as a company experiences them: signing up and confirming the e-mail, logging in,
//! the access token and its published key, refresh rotation, logout, the forgotten password,
//! and the login throttle.

use base64::Engine as _;
use ed25519_dalek::{Signature, Verifier, VerifyingKey};
use serde_json::{json, Value};
use tradepost_e2e::*;

#[test]
fn two_companies_sign_up_confirm_log_in_and_set_their_language() {
    let mut people = Vec::new();
    for role_hint in ["supplier", "customer"] {
        let api = Api::new();
        let mut body = signup_body(role_hint);
        let handle = body["handle"].as_str().unwrap().to_owned();
        body["handle"] = json!(handle.to_uppercase());
        let email = body["email"].as_str().unwrap().to_owned();

        let signed_up = api.post("/v1/auth/signup", body.clone(), 201);
        let company = &signed_up["company"];
        let user = &signed_up["user"];
        assert_id(&company["id"], "co_");
        assert_eq!(
            company["handle"],
            json!(handle),
            "the handle is lower-cased"
        );
        assert_eq!(company["name"], body["company_name"]);
        assert_timestamp(&company["created_at"]);
        assert_id(&user["id"], "us_");
        assert_eq!(user["company_id"], company["id"]);
        assert_eq!(user["email"], json!(email));
        assert_eq!(user["role"], "admin");
        assert_eq!(user["status"], "unconfirmed");
        assert!(user.get("password").is_none() && user.get("password_hash").is_none());

        // Logging in before the address is confirmed is refused, with the right password too.
        api.refused(
            Method::POST,
            "/v1/auth/login",
            Some(json!({"email": email, "password": PASSWORD})),
            403,
            "email_unconfirmed",
        );

        let token = wait_for_link(&email, "/confirm?token=", 1);
        let confirmed = api.post("/v1/auth/confirm", json!({ "token": token }), 200);
        assert_eq!(confirmed["user"]["status"], "active");
        // The confirmation link works once.
        api.refused(
            Method::POST,
            "/v1/auth/confirm",
            Some(json!({ "token": token })),
            400,
            "link_invalid",
        );

        let person = login_from(&api, &email, PASSWORD);
        assert_eq!(person.login["token_type"], "Bearer");
        assert_eq!(person.login["expires_in"], 900);
        assert!(person.refresh_token.starts_with("rt_"), "{}", person.login);
        assert_eq!(person.login["user"]["id"], user["id"]);
        assert_eq!(person.login["company"]["id"], company["id"]);

        let me = person.api.get("/v1/me", 200);
        assert_eq!(me["kind"], "user");
        assert_eq!(me["user"]["id"], user["id"]);
        assert_eq!(me["user"]["status"], "active");
        assert_eq!(me["company"]["id"], company["id"]);
        assert_eq!(me["company"]["handle"], json!(handle));

        people.push(person);
    }

    // Each admin sets their own language and name.
    for person in &people {
        let patched = person.api.patch("/v1/me", json!({"language": "de"}), 200);
        assert_eq!(person.api.get("/v1/me", 200)["user"]["language"], "de");
        assert_eq!(
            patched["user"]["language"], "de",
            "PATCH /v1/me answers {{user}}"
        );
        let patched = person
            .api
            .patch("/v1/me", json!({"name": "Zofia Żółkiewska"}), 200);
        assert_eq!(patched["user"]["name"], "Zofia Żółkiewska");
        assert_eq!(
            patched["user"]["language"], "de",
            "a PATCH keeps other fields"
        );
    }
}

#[test]
fn a_handle_or_an_email_can_be_registered_only_once() {
    let first = Company::signup_confirmed("taken");
    let api = Api::new();

    let mut same_handle = signup_body("other");
    same_handle["handle"] = json!(first.handle.to_uppercase());
    api.refused(
        Method::POST,
        "/v1/auth/signup",
        Some(same_handle),
        409,
        "handle_taken",
    );

    let mut same_email = signup_body("other");
    same_email["email"] = json!(first.admin.email);
    api.refused(
        Method::POST,
        "/v1/auth/signup",
        Some(same_email),
        409,
        "email_taken",
    );
}

#[test]
fn the_access_token_is_an_eddsa_jwt_signed_by_a_published_key() {
    let company = Company::signup_confirmed("jwks");
    let token = &company.admin.access_token;

    let header = jwt_part(token, 0);
    assert_eq!(header["alg"], "EdDSA", "{header}");
    let kid = header["kid"]
        .as_str()
        .unwrap_or_else(|| panic!("no kid: {header}"));

    let claims = jwt_part(token, 1);
    assert_eq!(claims["iss"], "tradepost");
    assert_eq!(claims["aud"], "tradepost-api");
    assert_eq!(claims["sub"], json!(company.admin.id));
    assert_eq!(claims["cid"], json!(company.id));
    assert_eq!(claims["role"], "admin");
    assert!(claims["sid"].is_string(), "{claims}");
    assert!(claims["perms"].is_array(), "{claims}");
    let iat = claims["iat"].as_i64().unwrap();
    assert_eq!(claims["exp"].as_i64().unwrap() - iat, 900, "{claims}");
    assert!(claims["nbf"].as_i64().unwrap() <= iat + 1, "{claims}");

    // The JWKS needs no authentication.
    let jwks = Api::new().get("/v1/auth/jwks.json", 200);
    let key = jwks["keys"]
        .as_array()
        .unwrap_or_else(|| panic!("JWKS has keys: {jwks}"))
        .iter()
        .find(|k| k["kid"] == kid)
        .unwrap_or_else(|| panic!("no JWKS key has the token's kid {kid}: {jwks}"));
    assert_eq!(key["kty"], "OKP", "{key}");
    assert_eq!(key["crv"], "Ed25519", "{key}");
    assert!(
        key.get("d").is_none(),
        "the JWKS must not publish the private key"
    );

    let x = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(key["x"].as_str().unwrap())
        .unwrap();
    let public = VerifyingKey::from_bytes(&x.try_into().unwrap()).unwrap();
    let (signed, signature) = token.rsplit_once('.').unwrap();
    let signature = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(signature)
        .unwrap();
    let signature = Signature::from_slice(&signature).unwrap();
    public
        .verify(signed.as_bytes(), &signature)
        .expect("the token's signature verifies with the published key");
}

fn refresh(api: &Api, refresh_token: &str) -> Reply {
    api.send(
        Method::POST,
        "/v1/auth/refresh",
        Some(&json!({ "refresh_token": refresh_token })),
    )
}

#[test]
fn refresh_rotates_and_reusing_an_old_token_revokes_the_whole_session() {
    let company = Company::signup_confirmed("refresh");
    let admin = &company.admin;
    let api = Api::new();
    // A second, independent login of the same person must survive the revocation.
    let other_session = login(&admin.email, PASSWORD);

    let first = admin.refresh_token.clone();
    let second = refresh(&api, &first).expect(200);
    assert_eq!(second["token_type"], "Bearer");
    assert_eq!(second["expires_in"], 900);
    assert_eq!(second["user"]["id"], json!(admin.id));
    assert_eq!(second["company"]["id"], json!(company.id));
    let second_token = second["refresh_token"].as_str().unwrap().to_owned();
    assert!(second_token.starts_with("rt_") && second_token != first);
    let new_access = second["access_token"].as_str().unwrap();
    assert_eq!(
        api.with_bearer(new_access).get("/v1/me", 200)["user"]["id"],
        json!(admin.id)
    );

    // The first token is used up: presenting it again is treated as theft.
    refresh(&api, &first).expect_problem(401, "refresh_token_reused");
    // ... and the newer token of the same session is revoked with it.
    refresh(&api, &second_token).expect_problem(401, "refresh_token_invalid");

    refresh(&api, &other_session.refresh_token).expect(200);
}

#[test]
fn logout_revokes_the_session_and_is_idempotent() {
    let company = Company::signup_confirmed("logout");
    let api = Api::new();
    let token = company.admin.refresh_token.clone();
    let body = json!({ "refresh_token": token });

    assert_eq!(api.post("/v1/auth/logout", body.clone(), 204), Value::Null);
    refresh(&api, &token).expect_problem(401, "refresh_token_invalid");
    api.post("/v1/auth/logout", body, 204);

    refresh(&api, "rt_thisdoesnotexist").expect_problem(401, "refresh_token_invalid");
}

#[test]
fn password_reset_by_mail_link() {
    let company = Company::signup_confirmed("reset");
    let admin = &company.admin;
    let api = Api::new();
    let unknown = unique_email("nobody");

    let for_known = api.send(
        Method::POST,
        "/v1/auth/password-reset",
        Some(&json!({"email": admin.email})),
    );
    let for_unknown = api.send(
        Method::POST,
        "/v1/auth/password-reset",
        Some(&json!({ "email": unknown })),
    );
    // The answer does not tell whether the address is registered.
    assert_eq!(for_known.expect(202), json!({"status": "sent_if_known"}));
    assert_eq!(for_unknown.expect(202), json!({"status": "sent_if_known"}));
    assert_eq!(for_known.text, for_unknown.text);

    let token = wait_for_link(&admin.email, "/reset-password?token=", 1);
    assert!(
        mails(&unknown).is_empty(),
        "no mail goes to an unknown address"
    );

    // A weak password is refused without using up the link.
    api.send(
        Method::POST,
        "/v1/auth/password-reset/confirm",
        Some(&json!({"token": token, "password": "short"})),
    )
    .expect_invalid_field("password");

    let new_password = "Another-Long-Secret-42";
    let reset = api.post(
        "/v1/auth/password-reset/confirm",
        json!({"token": token, "password": new_password}),
        200,
    );
    assert_eq!(reset["user"]["id"], json!(admin.id));

    api.refused(
        Method::POST,
        "/v1/auth/login",
        Some(json!({"email": admin.email, "password": PASSWORD})),
        401,
        "invalid_credentials",
    );
    login(&admin.email, new_password);
    // Every session from before the reset is gone.
    refresh(&api, &admin.refresh_token).expect_problem(401, "refresh_token_invalid");
    // The link works once.
    api.refused(
        Method::POST,
        "/v1/auth/password-reset/confirm",
        Some(json!({"token": token, "password": "Yet-Another-Secret-43"})),
        400,
        "link_invalid",
    );
    login(&admin.email, new_password);
}

#[test]
fn a_password_reset_also_confirms_the_address() {
    let api = Api::new();
    let body = signup_body("unconfirmed");
    let email = body["email"].as_str().unwrap().to_owned();
    api.post("/v1/auth/signup", body, 201);

    api.post("/v1/auth/password-reset", json!({ "email": email }), 202);
    let token = wait_for_link(&email, "/reset-password?token=", 1);
    api.post(
        "/v1/auth/password-reset/confirm",
        json!({"token": token, "password": "Fresh-Password-99"}),
        200,
    );
    let person = login(&email, "Fresh-Password-99");
    assert_eq!(person.login["user"]["status"], "active");
}

#[test]
fn five_wrong_passwords_lock_the_account_even_against_the_right_one() {
    let company = Company::signup_confirmed("throttle");
    let email = company.admin.email.clone();
    let attacker = Api::new();

    for attempt in 1..=5 {
        let reply = attacker.send(
            Method::POST,
            "/v1/auth/login",
            Some(&json!({"email": email, "password": format!("wrong-guess-{attempt}")})),
        );
        reply.expect_problem(401, "invalid_credentials");
    }

    let locked = attacker.send(
        Method::POST,
        "/v1/auth/login",
        Some(&json!({"email": email, "password": PASSWORD})),
    );
    locked.expect_problem(429, "too_many_requests");
    let retry_after: u64 = locked
        .header("retry-after")
        .unwrap_or_else(|| panic!("a 429 carries Retry-After: {locked:?}"))
        .parse()
        .expect("Retry-After is a number of seconds");
    assert!(
        (1..=900).contains(&retry_after),
        "retry within the 15 minute window: {retry_after}"
    );

    // The limit is per account: the owner from another address is locked out too
    // (this holds whether or not CF-Connecting-IP reaches the worker).
    Api::new().refused(
        Method::POST,
        "/v1/auth/login",
        Some(json!({"email": email, "password": PASSWORD})),
        429,
        "too_many_requests",
    );
    // ... while another account logs in from the attacker's address as usual.
    let neighbour = Company::signup_confirmed("neighbour");
    login_from(&attacker, &neighbour.admin.email, PASSWORD);
}

#[test]
fn fifty_failures_from_one_address_lock_that_address_only() {
    let company = Company::signup_confirmed("victim");
    let scanner = Api::new();
    for _ in 0..50 {
        scanner
            .send(
                Method::POST,
                "/v1/auth/login",
                Some(&json!({"email": unique_email("guess"), "password": "Password123"})),
            )
            .expect_problem(401, "invalid_credentials");
    }

    // From the scanning address even a right password is refused ...
    let locked = scanner.send(
        Method::POST,
        "/v1/auth/login",
        Some(&json!({"email": company.admin.email, "password": PASSWORD})),
    );
    locked.expect_problem(429, "too_many_requests");
    assert!(
        locked
            .header("retry-after")
            .is_some_and(|s| s.parse::<u64>().is_ok_and(|n| n > 0)),
        "a 429 carries Retry-After in seconds: {locked:?}"
    );
    // ... while the account itself is not locked: its owner logs in from elsewhere.
    login(&company.admin.email, PASSWORD);
}

#[test]
fn the_reset_form_cannot_flood_a_mailbox() {
    let company = Company::signup_confirmed("flood");
    let api = Api::new();
    let email = &company.admin.email;
    for _ in 0..5 {
        // Every request gets the same answer …
        assert_eq!(
            api.post("/v1/auth/password-reset", json!({ "email": email }), 202),
            json!({"status": "sent_if_known"})
        );
    }
    // … but only three mails go out within the hour.
    let resets = mails(email)
        .iter()
        .filter(|m| m["template"] == json!("password_reset"))
        .count();
    assert_eq!(resets, 3);
}

/// The workers count their D1 round trips per request and say so in `Server-Timing`, through
/// the gateway, so browsers' developer tools and `scripts/bench` show them.
#[test]
fn answers_say_their_database_round_trips_in_server_timing() {
    let company = Company::signup_confirmed("timing");
    for path in ["/v1/me", "/v1/relationships", "/v1/documents"] {
        let answer = company.api().send(Method::GET, path, None);
        assert_eq!(answer.status, 200, "{path}: {}", answer.text);
        let timing = answer.header("server-timing").unwrap_or_default();
        let trips: u32 = timing
            .strip_prefix("d1;desc=\"")
            .and_then(|rest| rest.split_once(" round trip"))
            .and_then(|(n, _)| n.parse().ok())
            .unwrap_or_else(|| panic!("{path}: Server-Timing {timing:?}"));
        assert!(trips >= 1, "{path} reads the database: {timing:?}");
        assert!(
            timing.contains(", r2;desc=\"") && timing.contains(", total;dur="),
            "{path}: the bucket and the whole request as well: {timing:?}"
        );
    }
}
