//! The accounts worker: sign-up with e-mail confirmation, login, sessions with rotating
//! refresh tokens, forgotten passwords, invitations accepted, a person's own profile, the
//! company's people (delegated administration) and API keys; locally also the captured mail and
//! the event outbox. It signs the access tokens every other worker verifies.
//!
//! [`SERVICE`] is its route table; the handlers live in one module per resource.

pub mod api;
mod api_keys;
mod auth;
mod dev;
mod users;

use shared::permissions::Permission::UsersManage;
use shared::service::route::Sessions;
use shared::service::{Access, Service};

#[cfg(not(target_arch = "wasm32"))]
use {
    api::{
        AcceptIn, AccountOut, ApiKeyIn, ApiKeyList, ApiKeyOut, EventList, EventQuery, LoginIn,
        MeOut, MePatch, MeUpdated, RefreshIn, ResetConfirmIn, ResetIn, ResetOut, SignupIn,
        SwitchIn, TokenIn, TokensOut, UserIn, UserList, UserOut, UserPatch, UserQuery,
    },
    shared::ids::{ApiKeyId, UserId},
};

const MANAGE: Access = Access::Permission(UsersManage);

/// The accounts worker's endpoints.
pub static SERVICE: Service = Service {
    name: "accounts",
    binding: "ACCOUNTS",
    sessions: Sessions::Checked,
    routes: shared::routes![
        Post "/v1/auth/signup" => auth::signup, Access::Public,
            |d| d.summary("Sign a company up; its first person is its admin (confirm by mail)")
                .body::<SignupIn>()
                .answer::<AccountOut>(201, "the company and its admin, unconfirmed")
                .errors(&[(409, "the handle or the e-mail address is taken")]);
        Post "/v1/auth/confirm" => auth::confirm, Access::Public,
            |d| d.summary("Confirm an e-mail address with the link's token")
                .body::<TokenIn>().ok::<AccountOut>("the confirmed account")
                .errors(&[(400, "the link is unknown, used or expired")]);
        Post "/v1/auth/login" => auth::login, Access::Public,
            |d| d.summary("Log in: an access token and a refresh token")
                .body::<LoginIn>().ok::<TokensOut>("the session's tokens")
                .errors(&[(401, "the e-mail address or the password is wrong"), (403, "the address is unconfirmed or the access disabled"), (429, "too many failed logins; Retry-After says when to try again")]);
        Post "/v1/auth/refresh" => auth::refresh, Access::Public,
            |d| d.summary("Trade a refresh token for new tokens (it is used up)")
                .body::<RefreshIn>().ok::<TokensOut>("the session's new tokens")
                .errors(&[(401, "the refresh token is unknown, expired, revoked or used (the session then ends)"), (403, "the access is disabled")]);
        Post "/v1/auth/logout" => auth::logout, Access::Public,
            |d| d.summary("End the session a refresh token belongs to")
                .body::<RefreshIn>().empty(204, "ended (an unknown token too)");
        Post "/v1/auth/password-reset" => auth::request_password_reset, Access::Public,
            |d| d.summary("Mail a password reset link (the same answer for unknown addresses)")
                .body::<ResetIn>().answer::<ResetOut>(202, "sent, if the address is known");
        Post "/v1/auth/password-reset/confirm" => auth::confirm_password_reset, Access::Public,
            |d| d.summary("Set a new password with the reset link's token (ends every session)")
                .body::<ResetConfirmIn>().ok::<AccountOut>("the account")
                .errors(&[(400, "the link is unknown, used or expired")]);
        Post "/v1/auth/accept-invitation" => auth::accept_invitation, Access::Public,
            |d| d.summary("Accept a colleague's or a supplier's invitation")
                .body::<AcceptIn>().answer::<AccountOut>(201, "the account")
                .errors(&[(400, "the link is unknown, used or expired"), (409, "the handle or the e-mail address is taken")]);
        Post "/v1/auth/switch" => auth::switch_company, Access::Person,
            |d| d.summary("Log in at another of one's companies (one address and password, an access per company): new tokens with that company's role and permissions; the current session ends")
                .body::<SwitchIn>().ok::<TokensOut>("the new session's tokens")
                .errors(&[(403, "that access is disabled"), (404, "no access of the caller's at that company")]);
        Get "/v1/auth/jwks.json" => auth::get_jwks, Access::Public,
            |d| d.summary("The public keys that verify access tokens (JWKS)")
                .answer::<serde_json::Value>(200, "the JSON Web Key Set");
        Get "/v1/me" => users::get_me, Access::Token,
            |d| d.summary("Who the caller is: the person or API key, the company, the permissions")
                .ok::<MeOut>("the caller");
        Patch "/v1/me" => users::update_me, Access::Person,
            |d| d.summary("Change one's own name or language")
                .body::<MePatch>().ok::<MeUpdated>("the person as they are now");
        Get "/v1/users" => users::list_users, MANAGE,
            |d| d.summary("List the company's people")
                .query::<UserQuery>().query::<shared::service::page::Paging>()
                .ok::<UserList>("a page of people, newest first");
        Post "/v1/users" => users::invite_user, MANAGE,
            |d| d.summary("Invite a colleague (by mail)")
                .body::<UserIn>().answer::<UserOut>(201, "the invited person")
                .errors(&[(403, "granting more than one holds, or the admin role"), (409, "the e-mail address is taken")]);
        Get "/v1/users/{id}" => users::get_user, Access::Caller,
            |d| d.summary("Read a person of the company (oneself, or with users.manage)")
                .path_param::<UserId>("id").ok::<UserOut>("the person")
                .errors(&[(403, "another person, without users.manage")]);
        Patch "/v1/users/{id}" => users::update_user, MANAGE,
            |d| d.summary("Change a colleague: name, role, permissions, active or disabled")
                .path_param::<UserId>("id").body::<UserPatch>().ok::<UserOut>("the person")
                .errors(&[(409, "the last admin, or oneself disabled")]);
        Delete "/v1/users/{id}" => users::delete_user, MANAGE,
            |d| d.summary("Delete a colleague's access and erase their personal data (name, address, card, phone); the company's documents and history stay, naming a \"Former user\"; an invited colleague's invitation is revoked").path_param::<UserId>("id")
                .empty(204, "deleted").errors(&[(409, "the last admin, or oneself")]);
        Post "/v1/users/{id}/resend-invitation" => users::resend_invitation, MANAGE,
            |d| d.summary("Send a colleague who has not accepted yet a new invitation mail (the links before stop working)")
                .path_param::<UserId>("id").ok::<UserOut>("the invited person")
                .errors(&[(409, "the person is not invited (accepted already) (`not_invited`)")]);
        Get "/v1/api-keys" => api_keys::list_api_keys, MANAGE,
            |d| d.summary("List the company's API keys")
                .query::<shared::service::page::Paging>()
                .ok::<ApiKeyList>("a page of keys, newest first");
        Post "/v1/api-keys" => api_keys::create_api_key, MANAGE,
            |d| d.summary("Make an API key (shown once)")
                .body::<ApiKeyIn>().answer::<ApiKeyOut>(201, "the key with its secret")
                .errors(&[(403, "granting more than one holds")]);
        Delete "/v1/api-keys/{id}" => api_keys::revoke_api_key, MANAGE,
            |d| d.summary("Revoke an API key").path_param::<ApiKeyId>("id").empty(204, "revoked");
        Get "/v1/dev/events" => dev::list_events, Access::Dev,
            |d| d.summary("The event outbox (local stack only)")
                .query::<EventQuery>().query::<shared::service::page::Paging>()
                .ok::<EventList>("a page of events, newest first");
    ],
};

#[cfg(target_arch = "wasm32")]
mod entry {
    use worker::{event, Context, Env, Request, Response};

    #[event(fetch)]
    async fn fetch(req: Request, env: Env, ctx: Context) -> worker::Result<Response> {
        shared::edge::serve(req, env, ctx, &super::SERVICE).await
    }
}
