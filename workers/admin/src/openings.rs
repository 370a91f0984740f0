//! `/v1/company/mail-openings`: a company's own opening of the mails its actions cause
//! (invitations, approval requests, documents sent, …), per template and language, as the
//! Partner-Cockpit keeps its own templates. The opening replaces the mail's greeting; the rest
//! of the mail (what happened, the link, the sign-off) stays Tradepost's, so no opening can
//! hide or fake the link. The mailer puts it in when it first claims the mail
//! (`shared::data::mails::claim_stmt`).

use shared::data::mails::{self, OpeningRow, OPENING_PLACEHOLDERS, OPENING_TEMPLATES};
use shared::lang::Language;
use shared::service::{Cx, Reply};
use shared::time::Time;
use shared::{Error, Result};

use crate::api::{OpeningIn, OpeningList};

/// The longest opening, in characters.
pub const MAX_CHARS: usize = 1000;

/// `GET /v1/company/mail-openings` (admins).
pub async fn list_openings(cx: &mut Cx) -> Result<Reply> {
    let me = cx.me()?;
    me.require_admin()?;
    Reply::json(
        200,
        &OpeningList {
            templates: OPENING_TEMPLATES.to_vec(),
            placeholders: OPENING_PLACEHOLDERS.to_vec(),
            data: mails::openings(&cx.db, &me.company_id).await?,
        },
    )
}

/// The template and language the path names.
fn target(cx: &Cx) -> Result<(String, Language)> {
    let template = cx.param("template");
    if !OPENING_TEMPLATES.contains(&template) {
        return Err(Error::invalid(
            "template",
            format!("must be one of {}", OPENING_TEMPLATES.join(", ")),
        ));
    }
    Ok((
        template.to_owned(),
        Language::parse("language", cx.param("language"))?,
    ))
}

/// `PUT /v1/company/mail-openings/{template}/{language}` (admins).
pub async fn put_opening(cx: &mut Cx) -> Result<Reply> {
    let me = cx.me()?;
    me.require_admin()?;
    let (template, language) = target(cx)?;
    let input: OpeningIn = cx.body().await?;
    let row = OpeningRow {
        template,
        language,
        text: checked(&input.text)?,
        updated_at: Time(cx.now),
    };
    cx.db
        .run_of(mails::put_opening_stmt(&me.company_id, &row))
        .await?;
    Reply::json(200, &row)
}

/// `DELETE /v1/company/mail-openings/{template}/{language}` (admins): Tradepost's greeting again.
pub async fn delete_opening(cx: &mut Cx) -> Result<Reply> {
    let me = cx.me()?;
    me.require_admin()?;
    let (template, language) = target(cx)?;
    cx.db
        .run_of(mails::delete_opening_stmt(
            &me.company_id,
            &template,
            language,
        ))
        .await?;
    Ok(Reply::no_content())
}

/// An opening as stored: trimmed, Windows line breaks made plain, checked.
///
/// # Errors
/// 422 naming `text`: empty or too long, control characters, a link, or a placeholder other
/// than `{company}` and `{email}` (or a brace that opens none).
pub fn checked(text: &str) -> Result<String> {
    let text = text.replace("\r\n", "\n").trim().to_owned();
    let invalid = |why: String| Err(Error::invalid("text", why));
    if text.is_empty() || text.chars().count() > MAX_CHARS {
        return invalid(format!("must be 1 to {MAX_CHARS} characters"));
    }
    if text.chars().any(|c| c.is_control() && c != '\n') {
        return invalid("must not hold control characters".to_owned());
    }
    let lower = text.to_lowercase();
    if lower.contains("://") || lower.contains("www.") {
        return invalid("must not hold links: the mail's own link follows it".to_owned());
    }
    let mut rest = text.as_str();
    while let Some(at) = rest.find(['{', '}']) {
        let from = &rest[at..];
        match OPENING_PLACEHOLDERS.iter().find(|p| from.starts_with(**p)) {
            Some(p) => rest = &from[p.len()..],
            None => {
                let shown: String = from.chars().take(20).collect();
                return invalid(format!(
                    "has an unknown placeholder at \"{shown}\"; use {}",
                    OPENING_PLACEHOLDERS.join(" or ")
                ));
            }
        }
    }
    Ok(text)
}

#[cfg(test)]
mod tests {
    use super::checked;

    #[test]
    fn openings_are_checked_for_length_links_and_placeholders() {
        assert_eq!(
            checked("  Guten Tag,\r\n\r\nwir von {company} …  ")
                .ok()
                .as_deref(),
            Some("Guten Tag,\n\nwir von {company} …")
        );
        assert!(checked("Hallo {email}, {company} grüßt").is_ok());
        for bad in [
            "",
            "   ",
            "Hello {name},",
            "Hello {company",
            "Hello }",
            "See https://evil.example",
            "See www.evil.example",
            "bell \u{7}",
        ] {
            assert!(checked(bad).is_err(), "{bad:?}");
        }
        assert!(checked(&"x".repeat(1001)).is_err());
        assert!(checked(&"ż".repeat(1000)).is_ok());
    }
}
