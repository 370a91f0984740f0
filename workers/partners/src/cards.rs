//! `/v1/cards/me` and `/v1/contacts`: a person's business card, sending it to a partner company
//! (which makes the person a contact there), and the contacts a company received, also as
//! vCard 4.0.

use serde_json::json;
use shared::data::{contacts, events, relationships, users};
use shared::event::Event;
use shared::ids::{CompanyId, ContactId, UserId};
use shared::permissions::Principal;
use shared::relationship::{RelationshipStatus, Service, ServiceState};
use shared::service::{Cx, Page, Reply, ReplyBody};
use shared::time::Time;
use shared::vcard::{self, Card};
use shared::{Error, Result};

use crate::api::{ContactList, ContactOut, ContactQuery, SendIn, SentOut};

/// The caller's card, or the one a card never filled in starts from.
async fn my_card(cx: &Cx, me: &Principal, user_id: &UserId) -> Result<Card> {
    let row = users::card(&cx.db, &me.company_id, user_id)
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

/// `GET /v1/cards/me`.
pub async fn get_my_card(cx: &mut Cx) -> Result<Reply> {
    let me = cx.me()?;
    let user_id = me.require_user()?;
    Reply::json(200, &my_card(cx, &me, user_id).await?)
}

/// `PUT /v1/cards/me`.
pub async fn put_my_card(cx: &mut Cx) -> Result<Reply> {
    let me = cx.me()?;
    let user_id = me.require_user()?.clone();
    let card: Card = cx.body().await?;
    let card = card.validated()?;
    let json = serde_json::to_string(&card).map_err(|e| Error::internal(e.to_string()))?;
    cx.db
        .run_of(users::card_stmt(&user_id, &json, Time(cx.now)))
        .await?;
    Reply::json(200, &card)
}

/// `POST /v1/cards/me/send`: over an active relationship with cards enabled.
pub async fn send_my_card(cx: &mut Cx) -> Result<Reply> {
    let me = cx.me()?;
    let user_id = me.require_user()?.clone();
    let input: SendIn = cx.body().await?;
    let partner = CompanyId::parse_field("company_id", &input.company_id)?;
    let rel = relationships::between(&cx.db, &me.company_id, &partner)
        .await?
        .ok_or(Error::not_found("relationship"))?;
    if rel.status != RelationshipStatus::Active {
        return Err(Error::conflict(
            "relationship_not_active",
            format!(
                "cards can be sent only over an active relationship; it is {}",
                rel.status
            ),
        ));
    }
    if rel.services.0.get(Service::Cards) != ServiceState::Enabled {
        return Err(Error::conflict(
            "service_not_enabled",
            "the cards service is not enabled for this relationship",
        ));
    }
    let card = my_card(cx, &me, &user_id).await?;
    let contact_id = contacts::put(
        &cx.db,
        &partner,
        &user_id,
        &me.company_id,
        &card,
        Time(cx.now),
    )
    .await?
    .ok_or_else(|| Error::internal("contact vanished"))?;
    let event = Event::new(
        "card.received",
        &partner,
        json!({ "contact_id": contact_id, "user_id": user_id, "from_company_id": me.company_id, "name": card.name }),
        cx.now,
    )?;
    cx.db.batch(vec![events::insert_stmt(&event)]).await?;
    cx.publish(vec![event]);
    Reply::json(
        200,
        &SentOut {
            contact_id,
            company_id: partner,
        },
    )
}

/// `GET /v1/contacts?company_id=`.
pub async fn list_contacts(cx: &mut Cx) -> Result<Reply> {
    let me = cx.me()?;
    let q: ContactQuery = cx.query_as()?;
    let from = q
        .company_id
        .map(|c| CompanyId::parse_field("company_id", &c))
        .transpose()?;
    let page = Page::from_request(cx)?;
    let rows = contacts::list(
        &cx.db,
        &me.company_id,
        from.as_ref(),
        page.before.as_deref(),
        page.fetch(),
    )
    .await?;
    let (rows, next_cursor) = page.finish(rows, |r| r.id.to_string());
    Reply::json(
        200,
        &ContactList {
            data: rows.into_iter().map(ContactOut::of).collect(),
            next_cursor,
        },
    )
}

async fn find_contact(cx: &Cx) -> Result<contacts::ContactRow> {
    let me = cx.me()?;
    let id = ContactId::parse(cx.param("id"))?;
    contacts::find(&cx.db, &me.company_id, &id)
        .await?
        .ok_or(Error::not_found("contact"))
}

/// `GET /v1/contacts/{id}`.
pub async fn get_contact(cx: &mut Cx) -> Result<Reply> {
    let row = find_contact(cx).await?;
    Reply::json(200, &ContactOut::of(row))
}

/// `GET /v1/contacts/{id}/vcard`: the card as vCard 4.0.
pub async fn get_contact_vcard(cx: &mut Cx) -> Result<Reply> {
    let row = find_contact(cx).await?;
    let card = row.card.0;
    let text = vcard::to_vcard(&card, row.id.as_str(), row.received_at.0);
    let filename: String = card
        .name
        .chars()
        .map(|c| if c.is_alphanumeric() { c } else { '_' })
        .collect();
    let mut reply = Reply::status(200)
        .with_header("content-type", "text/vcard; charset=utf-8")
        .with_header(
            "content-disposition",
            format!(
                "attachment; filename=\"{}.vcf\"; filename*=UTF-8''{}.vcf",
                filename.escape_default(),
                urlencoding::encode(&card.name)
            ),
        );
    reply.body = ReplyBody::Bytes(text.into_bytes());
    Ok(reply)
}
