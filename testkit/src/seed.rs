//! Set-up for tests of one worker: companies, API keys and relationships written through the
//! data layer, without the registry's endpoints (the story tests use those instead).

use shared::data::{api_keys, companies, relationships};
use shared::ids::{ApiKeyId, CompanyId, RelationshipId};
use shared::permissions::Permission;
use shared::relationship::{PartyRole, RelationshipStatus, Services, Settings};
use shared::time::Time;

use crate::{block_on, Stack};

impl Stack {
    /// A company with this handle; returns its id.
    #[must_use]
    pub fn seed_company(&self, handle: &str) -> CompanyId {
        let now = Time(shared::platform::Clock::now(self.clock.as_ref()));
        let id = CompanyId::new(now.0).expect("should make an id");
        let db = self.platform().db;
        block_on(db.run_of(companies::insert_stmt(
            &id,
            &format!("{handle} Ltd"),
            handle,
            now,
        )))
        .expect("should insert the company");
        id
    }

    /// An API key of `company` with `permissions`; returns the key.
    #[must_use]
    pub fn seed_api_key(&self, company: &CompanyId, permissions: &[Permission]) -> String {
        let now = Time(shared::platform::Clock::now(self.clock.as_ref()));
        let key = shared::secrets::new_secret("tp_").expect("should make a key");
        let id = ApiKeyId::new(now.0).expect("should make an id");
        let db = self.platform().db;
        block_on(api_keys::insert(
            &db,
            &api_keys::NewApiKey {
                id: &id,
                company_id: company,
                name: "test key",
                key: &key,
                permissions,
                created_by: None,
                now,
            },
        ))
        .expect("should insert the key");
        key
    }

    /// A relationship of `supplier` with `customer` in `status`, every service but
    /// appointments enabled when active; returns its id.
    #[must_use]
    pub fn seed_relationship(
        &self,
        supplier: &CompanyId,
        customer: &CompanyId,
        status: RelationshipStatus,
        settings: &Settings,
    ) -> RelationshipId {
        let now = Time(shared::platform::Clock::now(self.clock.as_ref()));
        let id = RelationshipId::new(now.0).expect("should make an id");
        let services = match status {
            RelationshipStatus::Active => Services::default_request().on_approval(),
            _ => Services::default_request(),
        };
        let db = self.platform().db;
        block_on(db.run_of(relationships::insert_stmt(
            &relationships::NewRelationship {
                id: &id,
                requester: supplier,
                addressee: customer,
                requester_role: PartyRole::Supplier,
                status,
                services: &services,
                message: None,
                settings,
                now,
            },
        )))
        .expect("should insert the relationship");
        id
    }
}

/// A person seeded with [`Stack::seed_person`]: their id and an access token issued then.
#[derive(Debug, Clone)]
pub struct SeededPerson {
    pub id: shared::ids::UserId,
    pub email: String,
    pub token: String,
}

impl Stack {
    /// An active person of `company` (English, no password) with a login session and an access
    /// token signed with the stack's key.
    #[must_use]
    pub fn seed_person(
        &self,
        company: &CompanyId,
        name: &str,
        role: shared::permissions::Role,
        permissions: &[Permission],
    ) -> SeededPerson {
        use shared::data::users::{self, NewUser, UserStatus};
        use shared::platform::Settings as _;
        let now = Time(shared::platform::Clock::now(self.clock.as_ref()));
        let id = shared::ids::UserId::new(now.0).expect("should make an id");
        let email = format!("{}@people.example", id.as_str());
        let db = self.platform().db;
        block_on(db.run_of(users::insert_stmt(&NewUser {
            id: &id,
            company_id: company,
            email: &email,
            name,
            password_hash: None,
            role,
            permissions,
            language: shared::lang::Language::En,
            status: UserStatus::Active,
            now,
        })))
        .expect("should insert the person");
        let session = shared::ids::SessionId::new(now.0).expect("should make an id");
        block_on(db.batch(users::open_session_stmts(&session, &id, now)))
            .expect("should open a session");
        let seed = self
            .settings
            .get("JWT_SIGNING_KEY")
            .expect("the stack has a signing key");
        let token = shared::token::TokenIssuer::from_seed(&seed, "test")
            .and_then(|issuer| {
                issuer.issue(
                    &shared::token::AccessClaims {
                        sub: id.clone(),
                        cid: company.clone(),
                        sid: session,
                        role,
                        perms: permissions.to_vec(),
                    },
                    now.0,
                )
            })
            .expect("should issue a token");
        SeededPerson { id, email, token }
    }
}
