//! The quote mails, in English, German and Polish, to the other side of a request: a request
//! made (to the supplier, `quote_requested`), a quote sent (to the customer, `quote_quoted`), a
//! decision or expiry (`quote_status_changed`), a comment (`quote_commented`). Written in the
//! same batch as the change, only to the other side's people who hold `documents.receive`
//! (admins do) and want the kind (`notification_settings`; the one-click unsubscribe switches
//! it off: `shared::notice::TEMPLATE_EVENTS`).

use shared::data::mails::{self, ToPeople};
use shared::data::notices::Recipient;
use shared::data::Statement;
use shared::event;
use shared::ids::CompanyId;
use shared::lang::Language;
use shared::mail::quote_block;
use shared::quote::QuoteStatus;
use shared::time::Time;
use shared::Result;

/// What happened to the request.
#[derive(Debug, Clone, Copy)]
pub enum What<'a> {
    /// The customer asked for a quote.
    Requested,
    /// The supplier sent version `version` for `total` (with its currency), valid until a day.
    Quoted {
        version: u64,
        total: &'a str,
        valid_until: &'a str,
    },
    /// It moved to a status (accepted, rejected, changes asked for, withdrawn, expired).
    Moved(QuoteStatus),
    /// A side commented.
    Commented,
}

/// What a quote mail says.
pub struct QuoteMail<'a> {
    pub what: What<'a>,
    /// `RFQ-2027-00042`.
    pub number: &'a str,
    pub title: &'a str,
    /// The company that acted (the recipient's partner).
    pub partner: &'a str,
    /// The person who acted (`None`: through the API, or the cron).
    pub by: Option<&'a str>,
    /// The request's text, the reason, the comment: quoted in the mail.
    pub text: Option<&'a str>,
    pub link: &'a str,
}

impl QuoteMail<'_> {
    fn template(&self) -> &'static str {
        match self.what {
            What::Requested => "quote_requested",
            What::Quoted { .. } => "quote_quoted",
            What::Moved(_) => "quote_status_changed",
            What::Commented => "quote_commented",
        }
    }

    fn event_type(&self) -> &'static str {
        match self.what {
            What::Requested => event::QUOTE_REQUESTED,
            What::Quoted { .. } => event::QUOTE_QUOTED,
            What::Moved(_) => event::QUOTE_STATUS_CHANGED,
            What::Commented => event::QUOTE_COMMENTED,
        }
    }
}

/// The mails of `mail` to `recipients` who want the kind (written whatever came before in the
/// batch: a quote change's batch fails as a whole when it lost a race). `company`: the side
/// that acted.
///
/// # Errors
/// Fails only if the platform has no randomness (for the ids).
pub fn mail_stmts(
    mail: &QuoteMail<'_>,
    recipients: &[Recipient],
    company: &CompanyId,
    now: Time,
) -> Result<Vec<Statement>> {
    mails::to_people_stmts(
        &ToPeople {
            event_type: mail.event_type(),
            template: mail.template(),
            from_name: Some(mail.partner),
            company,
            if_changed: false,
            now,
        },
        recipients,
        |lang| render(mail, lang),
    )
}

/// The words of one language.
struct Words {
    hello: &'static str,
    requested: &'static str,
    quoted: &'static str,
    moved: &'static str,
    expired: &'static str,
    commented: &'static str,
    subject_requested: &'static str,
    subject_quoted: &'static str,
    subject_moved: &'static str,
    subject_commented: &'static str,
    someone: &'static str,
    open: &'static str,
    sign_off: &'static str,
    settings: &'static str,
    status: fn(QuoteStatus) -> &'static str,
}

const EN: Words = Words {
    hello: "Hello,",
    requested: "{by} of {partner} asks you on Tradepost for a quote {number}: \"{title}\".",
    quoted: "{by} of {partner} has sent you version {version} of the quote for {number} \
             (\"{title}\") on Tradepost: {total}, valid until {valid_until}.",
    moved: "{by} of {partner} has answered the quote for {number} (\"{title}\") on Tradepost: \
            {status}.",
    expired: "The quote for {number} (\"{title}\") on Tradepost has expired: it was not accepted \
              in time.",
    commented: "{by} of {partner} has commented on {number} (\"{title}\") on Tradepost:",
    subject_requested: "Request for a quote {number} from {partner}",
    subject_quoted: "Quote for {number}: {total}",
    subject_moved: "Quote for {number}: {status}",
    subject_commented: "{number}: a comment from {partner}",
    someone: "Someone",
    open: "Open it here:",
    sign_off: "Best regards,\nThe Tradepost team",
    settings: "You receive this mail because of your notification settings on Tradepost; you can \
               change them in the portal.",
    status: |s| match s {
        QuoteStatus::Requested => "changes asked for",
        QuoteStatus::Quoted => "quoted",
        QuoteStatus::Accepted => "accepted (the order is in your inbox)",
        QuoteStatus::Rejected => "rejected",
        QuoteStatus::Expired => "expired",
        QuoteStatus::Withdrawn => "withdrawn",
    },
};

const DE: Words = Words {
    hello: "Hallo,",
    requested: "{by} von {partner} bittet Sie auf Tradepost um ein Angebot {number}: „{title}“.",
    quoted: "{by} von {partner} hat Ihnen auf Tradepost Version {version} des Angebots zu \
             {number} („{title}“) gesendet: {total}, gültig bis {valid_until}.",
    moved: "{by} von {partner} hat auf Tradepost auf das Angebot zu {number} („{title}“) \
            geantwortet: {status}.",
    expired: "Das Angebot zu {number} („{title}“) auf Tradepost ist abgelaufen: es wurde nicht \
              rechtzeitig angenommen.",
    commented: "{by} von {partner} hat {number} („{title}“) auf Tradepost kommentiert:",
    subject_requested: "Angebotsanfrage {number} von {partner}",
    subject_quoted: "Angebot zu {number}: {total}",
    subject_moved: "Angebot zu {number}: {status}",
    subject_commented: "{number}: ein Kommentar von {partner}",
    someone: "Jemand",
    open: "Hier finden Sie sie:",
    sign_off: "Viele Grüße\nIhr Tradepost-Team",
    settings: "Sie erhalten diese E-Mail aufgrund Ihrer Benachrichtigungseinstellungen bei \
               Tradepost; Sie können sie im Portal ändern.",
    status: |s| match s {
        QuoteStatus::Requested => "Änderungen erbeten",
        QuoteStatus::Quoted => "angeboten",
        QuoteStatus::Accepted => "angenommen (die Bestellung liegt in Ihrem Posteingang)",
        QuoteStatus::Rejected => "abgelehnt",
        QuoteStatus::Expired => "abgelaufen",
        QuoteStatus::Withdrawn => "zurückgezogen",
    },
};

const PL: Words = Words {
    hello: "Dzień dobry,",
    requested: "{by} z firmy {partner} prosi w Tradepost o ofertę {number}: „{title}”.",
    quoted: "{by} z firmy {partner} przesyła w Tradepost wersję {version} oferty do {number} \
             („{title}”): {total}, ważna do {valid_until}.",
    moved: "{by} z firmy {partner} odpowiada w Tradepost na ofertę do {number} („{title}”): \
            {status}.",
    expired: "Oferta do {number} („{title}”) w Tradepost wygasła: nie została przyjęta w \
              terminie.",
    commented: "{by} z firmy {partner} komentuje {number} („{title}”) w Tradepost:",
    subject_requested: "Zapytanie ofertowe {number} od {partner}",
    subject_quoted: "Oferta do {number}: {total}",
    subject_moved: "Oferta do {number}: {status}",
    subject_commented: "{number}: komentarz od {partner}",
    someone: "Ktoś",
    open: "Szczegóły są tutaj:",
    sign_off: "Pozdrawiamy\nZespół Tradepost",
    settings: "Otrzymują Państwo tę wiadomość zgodnie z ustawieniami powiadomień w Tradepost; \
               można je zmienić w portalu.",
    status: |s| match s {
        QuoteStatus::Requested => "prośba o zmiany",
        QuoteStatus::Quoted => "oferta złożona",
        QuoteStatus::Accepted => "przyjęta (zamówienie jest w Państwa skrzynce odbiorczej)",
        QuoteStatus::Rejected => "odrzucona",
        QuoteStatus::Expired => "wygasła",
        QuoteStatus::Withdrawn => "wycofana",
    },
};

/// The subject and text of `mail` in `lang`.
#[must_use]
pub fn render(mail: &QuoteMail<'_>, lang: Language) -> (String, String) {
    let w = match lang {
        Language::En => &EN,
        Language::De => &DE,
        Language::Pl => &PL,
    };
    let (status, version, total, valid_until) = match mail.what {
        What::Moved(s) => ((w.status)(s), String::new(), "", ""),
        What::Quoted {
            version,
            total,
            valid_until,
        } => ("", version.to_string(), total, valid_until),
        What::Requested | What::Commented => ("", String::new(), "", ""),
    };
    let fill = |template: &str| {
        template
            .replace("{by}", mail.by.unwrap_or(w.someone))
            .replace("{partner}", mail.partner)
            .replace("{number}", mail.number)
            .replace("{title}", mail.title)
            .replace("{status}", status)
            .replace("{version}", &version)
            .replace("{total}", total)
            .replace("{valid_until}", valid_until)
    };
    let (subject, lead) = match mail.what {
        What::Requested => (w.subject_requested, w.requested),
        What::Quoted { .. } => (w.subject_quoted, w.quoted),
        What::Moved(QuoteStatus::Expired) => (w.subject_moved, w.expired),
        What::Moved(_) => (w.subject_moved, w.moved),
        What::Commented => (w.subject_commented, w.commented),
    };
    let mut body = format!("{}\n\n{}\n", w.hello, fill(lead));
    if let Some(text) = mail.text {
        body.push_str(&quote_block(text));
    }
    body.push_str(&format!(
        "\n{}\n\n{}\n\n{}\n\n{}\n",
        w.open, mail.link, w.sign_off, w.settings
    ));
    (fill(subject), body)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn mail(what: What<'_>) -> QuoteMail<'_> {
        QuoteMail {
            what,
            number: "RFQ-2027-00001",
            title: "Flyer A5",
            partner: "Druckerei Weber",
            by: Some("Anna Admin"),
            text: Some("Price per 1000."),
            link: "https://tradepost.example.com/quotes/rfq_1",
        }
    }

    #[test]
    fn every_mail_reads_in_three_languages() {
        let quoted = What::Quoted {
            version: 2,
            total: "EUR 305.00",
            valid_until: "2027-03-31",
        };
        let (subject, text) = render(&mail(quoted), Language::De);
        assert_eq!(subject, "Angebot zu RFQ-2027-00001: EUR 305.00");
        assert!(text.contains("Version 2 des Angebots"), "{text}");
        assert!(text.contains("gültig bis 2027-03-31"));
        assert!(text.contains("> Price per 1000.\n"));
        let (subject, _) = render(&mail(What::Moved(QuoteStatus::Accepted)), Language::En);
        assert_eq!(
            subject,
            "Quote for RFQ-2027-00001: accepted (the order is in your inbox)"
        );
        let (_, text) = render(&mail(What::Moved(QuoteStatus::Expired)), Language::Pl);
        assert!(text.contains("wygasła"), "{text}");
        for lang in [Language::En, Language::De, Language::Pl] {
            for what in [
                What::Requested,
                quoted,
                What::Moved(QuoteStatus::Rejected),
                What::Commented,
            ] {
                let (subject, text) = render(&mail(what), lang);
                assert!(!subject.contains('{') && !text.contains('{'), "{subject}");
            }
        }
    }
}
