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
