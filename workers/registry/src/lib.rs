//! The registry worker: companies, users, sessions, API keys, relationships, business cards and
//! invitations. It signs the access tokens every other worker verifies.
//!
//! The handlers live in one module per resource; this file only routes.

#[cfg(target_arch = "wasm32")]
mod api_keys;
#[cfg(target_arch = "wasm32")]
mod auth;
#[cfg(target_arch = "wasm32")]
mod cards;
#[cfg(target_arch = "wasm32")]
mod companies;
#[cfg(target_arch = "wasm32")]
mod context;
#[cfg(target_arch = "wasm32")]
mod dev;
#[cfg(target_arch = "wasm32")]
mod mailer;
#[cfg(target_arch = "wasm32")]
mod model;
#[cfg(target_arch = "wasm32")]
mod relationships;
#[cfg(target_arch = "wasm32")]
mod users;

pub mod routes;

#[cfg(target_arch = "wasm32")]
mod entry {
    use shared::edge;
    use shared::Error;
    use worker::{event, Context, Env, Request, Response};

    use crate::context::Ctx;
    use crate::{api_keys, auth, cards, companies, dev, relationships, routes, users};

    #[event(fetch)]
    async fn fetch(req: Request, env: Env, _ctx: Context) -> worker::Result<Response> {
        let segments = edge::segments(&req);
        let method = edge::method_name(&req);
        let mut cx = match Ctx::new(req, env) {
            Ok(cx) => cx,
            Err(e) => return edge::problem_response(&e),
        };
        let path: Vec<&str> = segments.iter().map(String::as_str).collect();
        edge::respond(dispatch(&mut cx, method, &path).await)
    }

    async fn dispatch(cx: &mut Ctx, method: &str, path: &[&str]) -> shared::Result<Response> {
        match (method, path) {
            ("POST", ["v1", "auth", "signup"]) => auth::signup(cx).await,
            ("POST", ["v1", "auth", "confirm"]) => auth::confirm(cx).await,
            ("POST", ["v1", "auth", "login"]) => auth::login(cx).await,
            ("POST", ["v1", "auth", "refresh"]) => auth::refresh(cx).await,
            ("POST", ["v1", "auth", "logout"]) => auth::logout(cx).await,
            ("POST", ["v1", "auth", "password-reset"]) => auth::request_password_reset(cx).await,
            ("POST", ["v1", "auth", "password-reset", "confirm"]) => {
                auth::confirm_password_reset(cx).await
            }
            ("POST", ["v1", "auth", "accept-invitation"]) => auth::accept_invitation(cx).await,
            ("GET", ["v1", "auth", "jwks.json"]) => auth::get_jwks(cx),

            ("GET", ["v1", "me"]) => users::get_me(cx).await,
            ("PATCH", ["v1", "me"]) => users::update_me(cx).await,
            ("GET", ["v1", "users"]) => users::list_users(cx).await,
            ("POST", ["v1", "users"]) => users::invite_user(cx).await,
            ("GET", ["v1", "users", id]) => users::get_user(cx, id).await,
            ("PATCH", ["v1", "users", id]) => users::update_user(cx, id).await,
            ("DELETE", ["v1", "users", id]) => users::delete_user(cx, id).await,

            ("GET", ["v1", "api-keys"]) => api_keys::list_api_keys(cx).await,
            ("POST", ["v1", "api-keys"]) => api_keys::create_api_key(cx).await,
            ("DELETE", ["v1", "api-keys", id]) => api_keys::revoke_api_key(cx, id).await,

            ("GET", ["v1", "companies"]) => companies::list_companies(cx).await,
            ("GET", ["v1", "companies", id]) => companies::get_company(cx, id).await,

            ("GET", ["v1", "relationships"]) => relationships::list_relationships(cx).await,
            ("POST", ["v1", "relationships"]) => relationships::request_relationship(cx).await,
            ("POST", ["v1", "relationships", "invitations"]) => {
                relationships::invite_company(cx).await
            }
            ("GET", ["v1", "relationships", id]) => relationships::get_relationship(cx, id).await,
            ("PATCH", ["v1", "relationships", id]) => {
                relationships::update_relationship(cx, id).await
            }
            ("POST", ["v1", "relationships", id, action]) => {
                relationships::act_on_relationship(cx, id, action).await
            }

            ("GET", ["v1", "cards", "me"]) => cards::get_my_card(cx).await,
            ("PUT", ["v1", "cards", "me"]) => cards::put_my_card(cx).await,
            ("POST", ["v1", "cards", "me", "send"]) => cards::send_my_card(cx).await,
            ("GET", ["v1", "contacts"]) => cards::list_contacts(cx).await,
            ("GET", ["v1", "contacts", id]) => cards::get_contact(cx, id).await,
            ("GET", ["v1", "contacts", id, "vcard"]) => cards::get_contact_vcard(cx, id).await,

            ("GET", ["v1", "dev", "mail"]) => dev::list_mail(cx).await,
            ("GET", ["v1", "dev", "events"]) => dev::list_events(cx).await,

            (_, path) if routes::is_known(path) => Err(Error::MethodNotAllowed),
            _ => Err(Error::not_found("route")),
        }
    }
}
