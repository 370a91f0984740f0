//! `/v1/cards` and `/v1/contacts`: each person keeps a business card; sending it to a partner
//! company makes the person a contact there (a snapshot of the card as sent), exportable as vCard.

use serde::{Deserialize, Serialize};
use serde_json::json;
use shared::edge::{self, events, List};
use shared::event::Event;
use shared::ids::{CompanyId, ContactId, UserId};
use shared::relationship::{RelationshipStatus, Service, ServiceState};
use shared::vcard::{self, Card};
use shared::{time, Error, Result};
use worker::{Headers, Response};

use crate::context::Ctx;
use crate::model::CompanyOut;
use crate::relationships;

/// The caller's card: as saved, or prefilled from the profile until then.
async fn my_card(cx: &Ctx, user_id: &UserId) -> Result<Card> {
    #[derive(Deserialize)]
    struct Row {
        card: Option<String>,
        name: String,
        email: String,
        company_name: String,
    }
    let row: Row = cx
        .db
        .first(
            "SELECT u.card, u.name, u.email, c.name AS company_name FROM users u \
             JOIN companies c ON c.id = u.company_id WHERE u.id = ?1",
            &[user_id],
        )
        .await?
        .ok_or(Error::not_found("user"))?;
    match row.card {
        Some(json) => {
            serde_json::from_str(&json).map_err(|e| Error::internal(format!("card: {e}")))
        }
        None => Ok(Card {
            name: row.name,
            email: Some(row.email),
            company: Some(row.company_name),
            ..Card::default()
        }),
    }
}

pub async fn get_my_card(cx: &mut Ctx) -> Result<Response> {
    let me = cx.principal().await?;
    let user_id = me.require_user()?;
    edge::json(200, &my_card(cx, user_id).await?)
}

pub async fn put_my_card(cx: &mut Ctx) -> Result<Response> {
    let me = cx.principal().await?;
    let user_id = me.require_user()?.clone();
    let card: Card = cx.body().await?;
    let card = card.validated()?;
    let json = serde_json::to_string(&card).map_err(|e| Error::internal(e.to_string()))?;
    cx.db
        .run(
            "UPDATE users SET card = ?1, updated_at = ?2 WHERE id = ?3",
            &[&json, &time::format(cx.now), &user_id],
        )
        .await?;
    edge::json(200, &card)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SendIn {
    company_id: String,
}

pub async fn send_my_card(cx: &mut Ctx) -> Result<Response> {
    let me = cx.principal().await?;
    let user_id = me.require_user()?.clone();
    let input: SendIn = cx.body().await?;
    let partner = CompanyId::parse_field("company_id", &input.company_id)?;
    let rel = relationships::find_between(cx, &me.company_id, &partner)
        .await?
        .ok_or(Error::not_found("relationship"))?;
    if rel.status()? != RelationshipStatus::Active {
        return Err(Error::conflict(
            "relationship_not_active",
            format!(
                "cards can be sent only over an active relationship; it is {}",
                rel.status
            ),
        ));
    }
    if rel.services()?.get(Service::Cards) != ServiceState::Enabled {
        return Err(Error::conflict(
            "service_not_enabled",
            "the cards service is not enabled for this relationship",
        ));
    }
    let card = my_card(cx, &user_id).await?;
    let card_json = serde_json::to_string(&card).map_err(|e| Error::internal(e.to_string()))?;
    let new_id = ContactId::new(cx.now)?;
    let now = time::format(cx.now);
    cx.db
        .run(
            "INSERT INTO contacts (id, owner_company_id, user_id, from_company_id, card, received_at) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6) \
             ON CONFLICT (owner_company_id, user_id) DO UPDATE SET \
               card = excluded.card, received_at = excluded.received_at, \
               from_company_id = excluded.from_company_id",
            &[&new_id, &partner, &user_id, &me.company_id, &card_json, &now],
        )
        .await?;
    #[derive(Deserialize)]
    struct IdRow {
        id: ContactId,
    }
    let contact: IdRow = cx
        .db
        .first(
            "SELECT id FROM contacts WHERE owner_company_id = ?1 AND user_id = ?2",
            &[&partner, &user_id],
        )
        .await?
        .ok_or_else(|| Error::internal("contact vanished"))?;
    let event = Event::new(
        "card.received",
        &partner,
        json!({ "contact_id": contact.id, "user_id": user_id, "from_company_id": me.company_id, "name": card.name }),
        cx.now,
    )?;
    cx.db
        .batch(vec![events::outbox_stmt(&cx.db, &event)?])
        .await?;
    events::publish(&cx.env, &[event]).await;
    edge::json(
        200,
        &json!({ "contact_id": contact.id, "company_id": partner }),
    )
}

#[derive(Deserialize)]
struct ContactRow {
    id: ContactId,
    user_id: UserId,
    card: String,
    received_at: String,
    company_id: CompanyId,
    company_name: String,
    company_handle: String,
    company_created_at: String,
}

#[derive(Serialize)]
struct ContactOut {
    id: ContactId,
    user_id: UserId,
    from_company: CompanyOut,
    card: Card,
    received_at: String,
}

impl ContactRow {
    fn card(&self) -> Result<Card> {
        serde_json::from_str(&self.card).map_err(|e| Error::internal(format!("contact card: {e}")))
    }

    fn out(self) -> Result<ContactOut> {
        let card = self.card()?;
        Ok(ContactOut {
            id: self.id,
            user_id: self.user_id,
            from_company: CompanyOut {
                id: self.company_id,
                name: self.company_name,
                handle: self.company_handle,
                created_at: self.company_created_at,
            },
            card,
            received_at: self.received_at,
        })
    }
}

const CONTACT_SELECT: &str = "SELECT k.id, k.user_id, k.card, k.received_at, c.id AS company_id, \
     c.name AS company_name, c.handle AS company_handle, c.created_at AS company_created_at \
     FROM contacts k JOIN companies c ON c.id = k.from_company_id WHERE k.owner_company_id = ?1";

pub async fn list_contacts(cx: &mut Ctx) -> Result<Response> {
    let me = cx.principal().await?;
    let from = cx
        .query("company_id")
        .map(|c| CompanyId::parse_field("company_id", &c))
        .transpose()?;
    let page = edge::Page::from_request(&cx.req)?;
    let rows: Vec<ContactRow> = cx
        .db
        .all(
            &format!(
                "{CONTACT_SELECT} AND (?2 IS NULL OR k.from_company_id = ?2) \
                 AND (?3 IS NULL OR k.id < ?3) ORDER BY k.id DESC LIMIT ?4"
            ),
            &[&me.company_id, &from, &page.before, &page.fetch()],
        )
        .await?;
    let (rows, next_cursor) = page.finish(rows, |r| r.id.to_string());
    let data = rows
        .into_iter()
        .map(ContactRow::out)
        .collect::<Result<Vec<_>>>()?;
    edge::json(200, &List { data, next_cursor })
}

async fn find_contact(cx: &Ctx, owner: &CompanyId, id: &str) -> Result<ContactRow> {
    let id = ContactId::parse(id)?;
    cx.db
        .first(&format!("{CONTACT_SELECT} AND k.id = ?2"), &[owner, &id])
        .await?
        .ok_or(Error::not_found("contact"))
}

pub async fn get_contact(cx: &mut Ctx, id: &str) -> Result<Response> {
    let me = cx.principal().await?;
    let row = find_contact(cx, &me.company_id, id).await?;
    edge::json(200, &row.out()?)
}

pub async fn get_contact_vcard(cx: &mut Ctx, id: &str) -> Result<Response> {
    let me = cx.principal().await?;
    let row = find_contact(cx, &me.company_id, id).await?;
    let card = row.card()?;
    let revision = time::parse("received_at", &row.received_at)?;
    let text = vcard::to_vcard(&card, row.id.as_str(), revision);
    let filename: String = card
        .name
        .chars()
        .map(|c| if c.is_alphanumeric() { c } else { '_' })
        .collect();
    let headers = Headers::new();
    let set = |k: &str, v: &str| headers.set(k, v).map_err(edge::internal);
    set("content-type", "text/vcard; charset=utf-8")?;
    set(
        "content-disposition",
        &format!(
            "attachment; filename=\"{}.vcf\"; filename*=UTF-8''{}.vcf",
            filename.escape_default(),
            urlencoding::encode(&card.name)
        ),
    )?;
    Ok(Response::ok(text)
        .map_err(edge::internal)?
        .with_headers(headers))
}
