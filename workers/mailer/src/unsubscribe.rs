//! One-click unsubscribe from info mails (RFC 8058). An info mail carries
//! `List-Unsubscribe: <PUBLIC_URL/v1/mail/unsubscribe?token=…>` and `List-Unsubscribe-Post:
//! List-Unsubscribe=One-Click`: a mail client's POST to that address switches the mail's event
//! type off in its recipient's notification settings. A person who opens the link in a browser
//! (a GET, which link scanners also make) sees a page with a button that makes the same POST,
//! so nothing is switched off by merely following the link.

use shared::data::{mails, notices, users};
use shared::lang::Language;
use shared::mail::escape_html;
use shared::notice::{DEFAULT_MAIL_EVENTS, TEMPLATE_EVENTS};
use shared::service::{Cx, Reply, ReplyBody};
use shared::time::Time;
use shared::Result;

/// The texts of the two pages, per language.
struct Texts {
    title: &'static str,
    ask: &'static str,
    button: &'static str,
    done: &'static str,
    back: &'static str,
    unknown: &'static str,
}

fn texts(language: Language) -> Texts {
    match language {
        Language::En => Texts {
            title: "Unsubscribe",
            ask: "Stop mails like this one:",
            button: "Unsubscribe",
            done: "You will no longer be mailed about this kind of event:",
            back: "You can switch it back on in the portal, under Settings:",
            unknown: "This unsubscribe link is unknown or has expired. Choose which mails you \
                      receive in the portal, under Settings.",
        },
        Language::De => Texts {
            title: "Abbestellen",
            ask: "Keine Mails mehr wie diese:",
            button: "Abbestellen",
            done: "Sie erhalten zu dieser Art von Ereignis keine Mails mehr:",
            back: "Im Portal können Sie sie unter Einstellungen wieder einschalten:",
            unknown: "Dieser Abbestell-Link ist unbekannt oder abgelaufen. Welche Mails Sie \
                      erhalten, wählen Sie im Portal unter Einstellungen.",
        },
        Language::Pl => Texts {
            title: "Rezygnacja",
            ask: "Koniec z wiadomościami takimi jak ta:",
            button: "Zrezygnuj",
            done: "Wiadomości o zdarzeniach tego rodzaju nie będą już wysyłane:",
            back: "Można je ponownie włączyć w portalu, w Ustawieniach:",
            unknown: "Ten link rezygnacji jest nieznany lub wygasł. Wybór otrzymywanych \
                      wiadomości jest w portalu, w Ustawieniach.",
        },
    }
}

/// A small page in `language`.
fn page_reply(status: u16, language: Language, title: &str, body: &str) -> Reply {
    let html = format!(
        "<!doctype html><html lang=\"{}\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width\"><title>{title} – Tradepost</title>\
         </head><body style=\"font-family:sans-serif;max-width:40em;margin:3em auto;padding:0 1em\">\
         <h1>{title}</h1>{body}</body></html>",
        language.as_str()
    );
    let mut reply = Reply::status(status)
        .with_header("content-type", "text/html; charset=utf-8")
        .with_header("cache-control", "no-store")
        .with_header("referrer-policy", "no-referrer")
        .with_header(
            "content-security-policy",
            "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'",
        );
    reply.body = ReplyBody::Bytes(html.into_bytes());
    reply
}

/// What a link names: the mail (to whom, which kind), if the token is known.
async fn lookup(cx: &Cx) -> Result<Option<(mails::Unsubscribable, &'static str)>> {
    let Some(token) = cx
        .query("token")
        .filter(|t| !t.is_empty() && t.len() <= 100)
    else {
        return Ok(None);
    };
    let Some(mail) = mails::by_unsubscribe_token(&cx.db, &token).await? else {
        return Ok(None);
    };
    let kind = TEMPLATE_EVENTS
        .iter()
        .find(|(template, _)| *template == mail.template)
        .map(|(_, kind)| *kind);
    Ok(kind.map(|k| (mail, k)))
}

fn unknown(cx: &Cx) -> Reply {
    let language =
        Language::from_accept_language(&cx.header("accept-language").unwrap_or_default());
    let t = texts(language);
    page_reply(404, language, t.title, &format!("<p>{}</p>", t.unknown))
}

/// `GET /v1/mail/unsubscribe?token=`: the page with the button.
pub async fn page(cx: &mut Cx) -> Result<Reply> {
    let Some((mail, _)) = lookup(cx).await? else {
        return Ok(unknown(cx));
    };
    let t = texts(mail.language);
    let token = escape_html(&cx.query("token").unwrap_or_default());
    let body = format!(
        "<p>{}</p><blockquote>{}</blockquote>\
         <form method=\"post\" action=\"/v1/mail/unsubscribe?token={token}\">\
         <input type=\"hidden\" name=\"List-Unsubscribe\" value=\"One-Click\">\
         <button type=\"submit\">{}</button></form>",
        t.ask,
        escape_html(&mail.subject),
        t.button
    );
    Ok(page_reply(200, mail.language, t.title, &body))
}

/// `POST /v1/mail/unsubscribe?token=`: switches the mail's event type off for its recipient.
pub async fn one_click(cx: &mut Cx) -> Result<Reply> {
    let Some((mail, kind)) = lookup(cx).await? else {
        return Ok(unknown(cx));
    };
    // The person's choice, at every company they work for.
    for user in users::with_email(&cx.db, &mail.to_email).await? {
        let chosen: Vec<String> = match notices::settings(&cx.db, &user).await? {
            Some(row) => row.effective(),
            None => DEFAULT_MAIL_EVENTS
                .iter()
                .map(|e| (*e).to_owned())
                .collect(),
        };
        if chosen.iter().any(|e| e == kind) {
            let kept: Vec<String> = chosen.into_iter().filter(|e| e != kind).collect();
            notices::put_settings(&cx.db, &user, &kept, Time(cx.now)).await?;
        }
    }
    let t = texts(mail.language);
    let settings = escape_html(&format!("{}/settings", cx.public_url()));
    let body = format!(
        "<p>{}</p><blockquote>{}</blockquote><p>{} <a href=\"{settings}\">{settings}</a></p>",
        t.done,
        escape_html(&mail.subject),
        t.back
    );
    Ok(page_reply(200, mail.language, t.title, &body))
}
