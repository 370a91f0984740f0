//! Delegated user administration and machine access: colleagues invited with limited
//! permissions, disabling and deleting an access, the last-admin and self rules, API keys.

use serde_json::{json, Value};
use tradepost_e2e::*;

#[test]
fn a_colleague_with_only_talk_is_invited_limited_disabled_and_deleted() {
    let company = Company::signup_confirmed("team");
    let admin = company.api();
    let email = unique_email("clerk");

    let invited = admin.post(
        "/v1/users",
        json!({"email": email, "name": "Łucja Kowalska", "permissions": ["talk"], "language": "pl"}),
        201,
    );
    assert_id(&invited["id"], "us_");
    assert_eq!(invited["status"], "invited");
    assert_eq!(invited["role"], "member", "role defaults to member");
    assert_eq!(invited["permissions"], json!(["talk"]));
    assert_eq!(invited["company_id"], json!(company.id));
    let user_id = invited["id"].as_str().unwrap().to_owned();

    let open = admin.get("/v1/users?status=invited", 200);
    assert_eq!(
        ids(&open),
        vec![user_id.clone()],
        "the open invitation: {open}"
    );

    let token = wait_for_link(&email, "/accept-invitation?token=", 1);
    let accepted = Api::new().post(
        "/v1/auth/accept-invitation",
        json!({"token": token, "password": PASSWORD}),
        201,
    );
    assert_eq!(accepted["user"]["id"], json!(user_id));
    assert_eq!(accepted["user"]["status"], "active");
    assert_eq!(accepted["company"]["id"], json!(company.id));
    Api::new().refused(
        Method::POST,
        "/v1/auth/accept-invitation",
        Some(json!({"token": token, "password": PASSWORD})),
        400,
        "link_invalid",
    );
    assert!(ids(&admin.get("/v1/users?status=invited", 200)).is_empty());

    let clerk = login(&email, PASSWORD);
    assert_eq!(clerk.login["user"]["language"], "pl");
    let partner = Company::signup_confirmed("partner");
    clerk.api.refused(
        Method::POST,
        "/v1/relationships",
        Some(json!({"company_id": partner.id, "my_role": "customer"})),
        403,
        "permission_missing",
    );
    clerk
        .api
        .refused(Method::GET, "/v1/users", None, 403, "permission_missing");
    clerk.api.refused(
        Method::GET,
        &format!("/v1/users/{}", company.admin.id),
        None,
        403,
        "permission_missing",
    );
    clerk.api.refused(
        Method::POST,
        "/v1/api-keys",
        Some(json!({"name": "mine", "permissions": ["talk"]})),
        403,
        "permission_missing",
    );
    // Reading oneself needs no permission.
    assert_eq!(
        clerk.api.get(&format!("/v1/users/{user_id}"), 200)["email"],
        json!(email)
    );
    assert_eq!(
        clerk.api.get("/v1/me", 200)["user"]["permissions"],
        json!(["talk"])
    );

    let disabled = admin.patch(
        &format!("/v1/users/{user_id}"),
        json!({"status": "disabled"}),
        200,
    );
    assert_eq!(disabled["status"], "disabled");
    Api::new().refused(
        Method::POST,
        "/v1/auth/refresh",
        Some(json!({"refresh_token": clerk.refresh_token})),
        401,
        "refresh_token_invalid",
    );
    Api::new().refused(
        Method::POST,
        "/v1/auth/login",
        Some(json!({"email": email, "password": PASSWORD})),
        403,
        "access_disabled",
    );
    let listed = admin.get("/v1/users?status=disabled", 200);
    assert_eq!(ids(&listed), vec![user_id.clone()]);

    admin.delete(&format!("/v1/users/{user_id}"), 204);
    admin.refused(
        Method::GET,
        &format!("/v1/users/{user_id}"),
        None,
        404,
        "not_found",
    );
    assert!(!ids(&admin.get("/v1/users", 200)).contains(&user_id));
    // The address is free again: she can be invited anew.
    let again = admin.post(
        "/v1/users",
        json!({"email": email, "name": "Łucja Kowalska", "permissions": ["talk"]}),
        201,
    );
    assert_ne!(again["id"], json!(user_id));
}

#[test]
fn an_invitation_can_be_withdrawn_by_deleting_the_user() {
    let company = Company::signup_confirmed("withdraw");
    let email = unique_email("maybe");
    let invited = company.api().post(
        "/v1/users",
        json!({"email": email, "name": "Maybe Later"}),
        201,
    );
    assert_eq!(
        invited["permissions"],
        json!([
            "documents.send",
            "documents.receive",
            "approvals.decide",
            "talk"
        ]),
        "the default permissions"
    );
    let token = wait_for_link(&email, "/accept-invitation?token=", 1);
    company.api().delete(
        &format!("/v1/users/{}", invited["id"].as_str().unwrap()),
        204,
    );
    Api::new().refused(
        Method::POST,
        "/v1/auth/accept-invitation",
        Some(json!({"token": token, "password": PASSWORD})),
        400,
        "link_invalid",
    );
}

#[test]
fn inviting_an_address_the_company_has_is_a_conflict_and_one_of_another_company_is_not() {
    let company = Company::signup_confirmed("dupe");
    let other = Company::signup_confirmed("elsewhere");
    company.api().refused(
        Method::POST,
        "/v1/users",
        Some(json!({"email": company.admin.email, "name": "Someone"})),
        409,
        "email_taken",
    );
    // One person may work for several companies (docs/api.md "Several companies").
    let invited = company.api().post(
        "/v1/users",
        json!({"email": other.admin.email, "name": "Someone"}),
        201,
    );
    assert_eq!(invited["status"], "invited", "{invited}");
    company.api().refused(
        Method::POST,
        "/v1/users",
        Some(json!({"email": other.admin.email, "name": "Someone"})),
        409,
        "email_taken",
    );
}

#[test]
fn the_last_admin_stays_and_nobody_disables_or_deletes_themselves() {
    let company = Company::signup_confirmed("rules");
    let admin = company.api();
    let admin_path = format!("/v1/users/{}", company.admin.id);
    let user_manager = invite_colleague(&company, &["users.manage", "talk"]);
    let manager_path = format!("/v1/users/{}", user_manager.id);
    let disable = || Some(json!({"status": "disabled"}));
    let mut wrong = Vec::new();
    let mut check = |who: &Api, method: Method, path: &str, body: Option<Value>, code: &str| {
        let reply = who.send(method, path, body.as_ref());
        wrong.extend(reply.problem_mismatch(409, Some(code), None));
    };

    // The only admin can be neither disabled nor deleted, by a user manager either.
    check(
        &user_manager.api,
        Method::PATCH,
        &admin_path,
        disable(),
        "last_admin",
    );
    check(
        &user_manager.api,
        Method::DELETE,
        &admin_path,
        None,
        "last_admin",
    );
    // Nobody disables or deletes themselves.
    check(
        &user_manager.api,
        Method::PATCH,
        &manager_path,
        disable(),
        "self_change",
    );
    check(
        &user_manager.api,
        Method::DELETE,
        &manager_path,
        None,
        "self_change",
    );

    // With a second admin, the first still may not disable or delete itself.
    let second_admin = invite_user(admin, "admin", &[]);
    assert_eq!(second_admin.login["user"]["role"], "admin");
    check(admin, Method::PATCH, &admin_path, disable(), "self_change");
    check(admin, Method::DELETE, &admin_path, None, "self_change");
    assert_eq!(
        second_admin.api.get(&admin_path, 200)["status"],
        "active",
        "the refused changes left the first admin active"
    );
    let demoted = second_admin
        .api
        .patch(&admin_path, json!({"role": "member"}), 200);
    assert_eq!(demoted["role"], "member");

    // The second admin is now the last one: demoting themselves is refused as last_admin
    // (the contract's self_change covers disabling and deleting oneself, not a demotion).
    let second_path = format!("/v1/users/{}", second_admin.id);
    let demote = Some(json!({"role": "member"}));
    check(
        &second_admin.api,
        Method::PATCH,
        &second_path,
        demote,
        "last_admin",
    );

    assert!(
        wrong.is_empty(),
        "refused otherwise than the contract says:\n{}",
        wrong.join("\n")
    );
    assert_eq!(second_admin.api.get(&second_path, 200)["role"], "admin");
}

#[test]
fn a_user_manager_grants_only_what_they_hold() {
    let company = Company::signup_confirmed("delegate");
    let manager = invite_colleague(&company, &["users.manage", "talk"]);

    let helper = manager.api.post(
        "/v1/users",
        json!({"email": unique_email("helper"), "name": "Helper", "permissions": ["talk"]}),
        201,
    );
    assert_eq!(helper["permissions"], json!(["talk"]));

    manager.api.refused(
        Method::POST,
        "/v1/users",
        Some(json!({"email": unique_email("x"), "name": "X", "permissions": ["documents.send"]})),
        403,
        "grant_exceeds_own",
    );
    manager.api.refused(
        Method::PATCH,
        &format!("/v1/users/{}", helper["id"].as_str().unwrap()),
        Some(json!({"permissions": ["talk", "relationships.manage"]})),
        403,
        "grant_exceeds_own",
    );
    // Only an admin creates admins.
    manager
        .api
        .send(
            Method::POST,
            "/v1/users",
            Some(&json!({"email": unique_email("boss"), "name": "Boss", "role": "admin"})),
        )
        .expect_any_problem(403);
    manager.api.refused(
        Method::POST,
        "/v1/api-keys",
        Some(json!({"name": "too much", "permissions": ["documents.send"]})),
        403,
        "grant_exceeds_own",
    );
    let users = company.api().get("/v1/users", 200);
    assert_eq!(
        ids(&users).len(),
        3,
        "admin, manager and helper, nobody else: {users}"
    );
}

#[test]
fn an_api_key_is_shown_once_acts_for_the_company_and_dies_when_revoked() {
    let company = Company::signup_confirmed("erp");
    let admin = company.api();

    let created = admin.post(
        "/v1/api-keys",
        json!({"name": "ERP upload", "permissions": ["documents.send", "documents.receive"]}),
        201,
    );
    assert_id(&created["id"], "key_");
    let key = created["key"].as_str().unwrap().to_owned();
    assert!(key.starts_with("tp_"), "{created}");
    let prefix = created["prefix"].as_str().unwrap().to_owned();
    assert!(
        key.starts_with(&prefix) && prefix.len() < key.len(),
        "{created}"
    );
    assert_eq!(created["name"], "ERP upload");
    assert_eq!(
        created["permissions"],
        json!(["documents.send", "documents.receive"])
    );
    assert!(created["revoked_at"].is_null());
    let key_id = created["id"].as_str().unwrap().to_owned();

    let machine = Api::new().with_bearer(&key);
    let me = machine.get("/v1/me", 200);
    assert_eq!(me["kind"], "api_key");
    assert!(me["user"].is_null(), "{me}");
    assert_eq!(me["company"]["id"], json!(company.id));

    let list = admin.send(Method::GET, "/v1/api-keys", None);
    let listed = list.expect(200);
    let item = find(&listed, &key_id).unwrap_or_else(|| panic!("key listed: {listed}"));
    assert_eq!(item["prefix"], json!(prefix));
    assert!(item.get("key").is_none(), "{item}");
    assert!(!list.text.contains(&key), "the list never shows the key");

    // Person-only endpoints refuse keys.
    machine.refused(Method::GET, "/v1/cards/me", None, 403, "user_required");
    machine.refused(
        Method::PUT,
        "/v1/cards/me",
        Some(json!({"name": "Robot"})),
        403,
        "user_required",
    );
    machine.refused(
        Method::PATCH,
        "/v1/me",
        Some(json!({"language": "de"})),
        403,
        "user_required",
    );
    // The key has only its own permissions.
    machine.refused(Method::GET, "/v1/users", None, 403, "permission_missing");
    let partner = Company::signup_confirmed("keypartner");
    machine.refused(
        Method::POST,
        "/v1/relationships",
        Some(json!({"company_id": partner.id, "my_role": "customer"})),
        403,
        "permission_missing",
    );

    admin.delete(&format!("/v1/api-keys/{key_id}"), 204);
    machine.refused(Method::GET, "/v1/me", None, 401, "api_key_invalid");
    let listed = admin.get("/v1/api-keys", 200);
    let item = find(&listed, &key_id).unwrap_or_else(|| panic!("revoked key listed: {listed}"));
    assert_timestamp(&item["revoked_at"]);
    assert_timestamp(&item["last_used_at"]);

    Api::new()
        .with_bearer("tp_neverissued0000000000000000")
        .refused(Method::GET, "/v1/me", None, 401, "api_key_invalid");

    // Reading of the contract: `api_key` is the ApiKey object, as `user` is the User object.
    assert_eq!(me["api_key"]["id"], json!(key_id), "{me}");
    assert_eq!(me["api_key"]["prefix"], json!(prefix), "{me}");
}

#[test]
fn a_key_with_users_manage_cannot_mint_a_stronger_key() {
    let company = Company::signup_confirmed("keymint");
    let manager_key = api_key(&company, &["users.manage", "talk"]);
    let weaker = manager_key.api.post(
        "/v1/api-keys",
        json!({"name": "talk only", "permissions": ["talk"]}),
        201,
    );
    assert!(weaker["key"].as_str().unwrap().starts_with("tp_"));
    manager_key.api.refused(
        Method::POST,
        "/v1/api-keys",
        Some(json!({"name": "stronger", "permissions": ["documents.send"]})),
        403,
        "grant_exceeds_own",
    );
}
