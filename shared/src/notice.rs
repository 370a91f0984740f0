//! Info mails about events (documents received, approvals, messages), in English, German and
//! Polish. Kept apart from `mail` so only the notify worker carries their texts.
//!
//! A [`Notice`] names the mail and carries its values (links are complete portal URLs);
//! [`render`] turns it into a subject and a plain-text body, one catalogue function per language.
//! Which events a person may have mailed, and the defaults for someone who never chose, are
//! here too, so the settings endpoint and the consumer agree.

use serde::{Deserialize, Serialize};

use crate::lang::Language;
use crate::mail::{one_line, quoted, RenderedMail};
use crate::{Error, Result};

/// The event types a person can ask to be mailed about.
pub const MAIL_EVENT_TYPES: &[&str] = &[
    "document.deposited",
    "approval.requested",
    "approval.decided",
    "talk.message",
    "relationship.requested",
    "appointment.proposed",
    "appointment.decided",
    "invoice.disputed",
    "invoice.paid",
    "invoice.overdue",
    "task.assigned",
    "task.due",
    "complaint.filed",
    "complaint.status_changed",
    "complaint.commented",
    "quote.requested",
    "quote.quoted",
    "quote.status_changed",
    "quote.commented",
];

/// Which event type each info mail's template is about: a one-click unsubscribe from a mail
/// of the template switches that event type off for its recipient. (The admins' webhook
/// failure mails are not among them: they are not a choice.)
pub const TEMPLATE_EVENTS: &[(&str, &str)] = &[
    ("document_received", "document.deposited"),
    ("approval_requested", "approval.requested"),
    ("approval_decided", "approval.decided"),
    ("new_message", "talk.message"),
    ("relationship_requested", "relationship.requested"),
    ("appointment_proposed", "appointment.proposed"),
    ("appointment_decided", "appointment.decided"),
    ("invoice_disputed", "invoice.disputed"),
    ("invoice_paid", "invoice.paid"),
    ("invoice_overdue", "invoice.overdue"),
    ("task_assigned", "task.assigned"),
    ("task_due", "task.due"),
    ("complaint_filed", "complaint.filed"),
    ("complaint_status_changed", "complaint.status_changed"),
    ("complaint_commented", "complaint.commented"),
    ("quote_requested", "quote.requested"),
    ("quote_quoted", "quote.quoted"),
    ("quote_status_changed", "quote.status_changed"),
    ("quote_commented", "quote.commented"),
];

/// What a person who never chose is mailed about: all of [`MAIL_EVENT_TYPES`].
pub const DEFAULT_MAIL_EVENTS: &[&str] = MAIL_EVENT_TYPES;

/// Whether a person wants mails of `kind`: `chosen` is their choice (`None`: they never chose,
/// the defaults), `known` the kinds that existed when they chose (`None`: not recorded). A kind
/// added since their choice is mailed as it would be by default.
#[must_use]
pub fn wants(chosen: Option<&[String]>, known: Option<&[String]>, kind: &str) -> bool {
    let by_default = DEFAULT_MAIL_EVENTS.contains(&kind);
    match chosen {
        None => by_default,
        Some(chosen) => {
            chosen.iter().any(|t| t == kind)
                || (by_default && known.is_some_and(|k| !k.iter().any(|t| t == kind)))
        }
    }
}

/// What a person gets mailed, in canonical order: their choice, and the kinds added since
/// ([`wants`]).
#[must_use]
pub fn effective(chosen: Option<&[String]>, known: Option<&[String]>) -> Vec<String> {
    MAIL_EVENT_TYPES
        .iter()
        .filter(|t| wants(chosen, known, t))
        .map(|t| (*t).to_owned())
        .collect()
}

/// Parses the event types a person wants mailed: deduplicated, in canonical order.
///
/// # Errors
/// A 422 naming `field[i]` for a type that cannot be mailed.
pub fn parse_mail_events(field: &str, items: &[String]) -> Result<Vec<String>> {
    for (i, item) in items.iter().enumerate() {
        if !MAIL_EVENT_TYPES.contains(&item.trim()) {
            return Err(Error::invalid(
                format!("{field}[{i}]"),
                format!(
                    "{:?} cannot be mailed; expected some of {}",
                    item.trim(),
                    MAIL_EVENT_TYPES.join(", ")
                ),
            ));
        }
    }
    Ok(MAIL_EVENT_TYPES
        .iter()
        .filter(|t| items.iter().any(|i| i.trim() == **t))
        .map(|t| (*t).to_owned())
        .collect())
}

/// An info mail with the values it needs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "template", rename_all = "snake_case")]
pub enum Notice {
    /// `document.deposited`: a partner sent a document.
    DocumentReceived {
        partner: String,
        filename: String,
        link: String,
    },
    /// `approval.requested`: the supplier asks to approve a proof.
    ApprovalRequested {
        partner: String,
        filename: String,
        version: u32,
        link: String,
    },
    /// `approval.decided`: the customer approved or rejected a proof.
    ApprovalDecided {
        partner: String,
        person: String,
        approved: bool,
        version: u32,
        comment: Option<String>,
        link: String,
    },
    /// `talk.message`: a new message from a partner.
    NewMessage {
        partner: String,
        person: String,
        subject: String,
        excerpt: String,
        link: String,
    },
    /// `relationship.requested`: a company asks to become a partner.
    RelationshipRequested { partner: String, link: String },
    /// `appointment.proposed`: a person of the customer proposes an appointment (to the
    /// supplier's planners). `when`: the local time with its zone; `place`: the location.
    AppointmentProposed {
        partner: String,
        person: String,
        title: String,
        when: String,
        place: String,
        note: Option<String>,
        link: String,
    },
    /// `appointment.decided`: the supplier confirmed or rejected a proposal (to the person who
    /// proposed it). Never names the supplier's staff.
    AppointmentDecided {
        partner: String,
        confirmed: bool,
        title: String,
        when: String,
        place: String,
        reason: Option<String>,
        link: String,
    },
    /// `invoice.disputed`: the customer disputes an invoice (to its sender). `number`: the
    /// invoice number, or the file's name when none was read; `amount`: payable with currency.
    InvoiceDisputed {
        partner: String,
        person: String,
        number: String,
        amount: String,
        reason: String,
        link: String,
    },
    /// `invoice.paid`: the customer recorded the payment of an invoice (to its sender).
    InvoicePaid {
        partner: String,
        number: String,
        amount: String,
        paid_on: String,
        reference: Option<String>,
        link: String,
    },
    /// `invoice.overdue`: an unpaid invoice's due date passed (to its recipient).
    InvoiceOverdue {
        partner: String,
        number: String,
        amount: String,
        due_date: String,
        link: String,
    },
    /// A webhook delivery failed after its last attempt (to the company's admins).
    WebhookFailed {
        url: String,
        event_type: String,
        event_id: String,
        attempts: u32,
        disabled: bool,
        link: String,
    },
}

impl Notice {
    /// The template's name as stored with the mail.
    #[must_use]
    pub fn name(&self) -> &'static str {
        match self {
            Notice::DocumentReceived { .. } => "document_received",
            Notice::ApprovalRequested { .. } => "approval_requested",
            Notice::ApprovalDecided { .. } => "approval_decided",
            Notice::NewMessage { .. } => "new_message",
            Notice::RelationshipRequested { .. } => "relationship_requested",
            Notice::AppointmentProposed { .. } => "appointment_proposed",
            Notice::AppointmentDecided { .. } => "appointment_decided",
            Notice::InvoiceDisputed { .. } => "invoice_disputed",
            Notice::InvoicePaid { .. } => "invoice_paid",
            Notice::InvoiceOverdue { .. } => "invoice_overdue",
            Notice::WebhookFailed { .. } => "webhook_failed",
        }
    }

    /// The partner company the mail is about (the sender's display name), if any.
    #[must_use]
    pub fn partner(&self) -> Option<&str> {
        match self {
            Notice::DocumentReceived { partner, .. }
            | Notice::ApprovalRequested { partner, .. }
            | Notice::ApprovalDecided { partner, .. }
            | Notice::NewMessage { partner, .. }
            | Notice::RelationshipRequested { partner, .. }
            | Notice::AppointmentProposed { partner, .. }
            | Notice::AppointmentDecided { partner, .. }
            | Notice::InvoiceDisputed { partner, .. }
            | Notice::InvoicePaid { partner, .. }
            | Notice::InvoiceOverdue { partner, .. } => Some(partner),
            Notice::WebhookFailed { .. } => None,
        }
    }
}

/// Renders `notice` in `lang`; the subject is one line whatever the values hold.
#[must_use]
pub fn render(notice: &Notice, lang: Language) -> RenderedMail {
    let (subject, text) = match lang {
        Language::En => english(notice),
        Language::De => german(notice),
        Language::Pl => polish(notice),
    };
    RenderedMail {
        subject: one_line(&subject),
        text,
    }
}

fn english(notice: &Notice) -> (String, String) {
    const SIGN_OFF: &str = "Best regards,\nThe Tradepost team";
    const SETTINGS: &str = "You receive this mail because of your notification settings on \
                            Tradepost; you can change them in the portal.";
    let (subject, body) = match notice {
        Notice::DocumentReceived {
            partner,
            filename,
            link,
        } => (
            format!("New document from {partner}: {filename}"),
            format!(
                "Hello,\n\n{partner} has sent your company the document \"{filename}\" on \
                 Tradepost. Open it here:\n\n{link}"
            ),
        ),
        Notice::ApprovalRequested {
            partner,
            filename,
            version,
            link,
        } => (
            format!("{partner} asks for your approval: {filename} (version {version})"),
            format!(
                "Hello,\n\n{partner} has sent a proof for approval: \"{filename}\", version \
                 {version}. Review it and approve or reject it here:\n\n{link}"
            ),
        ),
        Notice::ApprovalDecided {
            partner,
            person,
            approved,
            version,
            comment,
            link,
        } => {
            let verb = if *approved { "approved" } else { "rejected" };
            (
                format!("{partner} {verb} the proof (version {version})"),
                format!(
                    "Hello,\n\n{person} of {partner} has {verb} version {version} of the \
                     proof.\n\n{note}See the details here:\n\n{link}",
                    note = quoted("The comment:", comment.as_deref()),
                ),
            )
        }
        Notice::NewMessage {
            partner,
            person,
            subject,
            excerpt,
            link,
        } => (
            format!("New message from {person} ({partner}): {subject}"),
            format!(
                "Hello,\n\n{person} of {partner} has written about \"{subject}\":\n\n\
                 {note}Read and answer it here:\n\n{link}",
                note = quoted("", Some(excerpt)).trim_start().to_owned(),
            ),
        ),
        Notice::RelationshipRequested { partner, link } => (
            format!("{partner} would like to connect on Tradepost"),
            format!(
                "Hello,\n\n{partner} would like to connect with your company on Tradepost. \
                 Review the request and approve or reject it here:\n\n{link}"
            ),
        ),
        Notice::AppointmentProposed {
            partner,
            person,
            title,
            when,
            place,
            note,
            link,
        } => (
            format!("{partner} proposes an appointment: {title}, {when}"),
            format!(
                "Hello,\n\n{person} of {partner} proposes an appointment at {place}:\n\n\
                 \"{title}\"\n{when}\n\n{note}Confirm or reject it here:\n\n{link}",
                note = quoted("The note:", note.as_deref()),
            ),
        ),
        Notice::AppointmentDecided {
            partner,
            confirmed,
            title,
            when,
            place,
            reason,
            link,
        } => {
            let verb = if *confirmed { "confirmed" } else { "rejected" };
            (
                format!("{partner} {verb} the appointment you proposed: {title}"),
                format!(
                    "Hello,\n\n{partner} has {verb} the appointment you proposed at \
                     {place}:\n\n\"{title}\"\n{when}\n\n{note}See it here:\n\n{link}",
                    note = quoted("The reason:", reason.as_deref()),
                ),
            )
        }
        Notice::InvoiceDisputed {
            partner,
            person,
            number,
            amount,
            reason,
            link,
        } => (
            format!("{partner} disputes invoice {number}"),
            format!(
                "Hello,\n\n{person} of {partner} disputes your invoice {number} ({amount}).\n\n\
                 {note}Answer in the thread opened for it here:\n\n{link}",
                note = quoted("The reason:", Some(reason)),
            ),
        ),
        Notice::InvoicePaid {
            partner,
            number,
            amount,
            paid_on,
            reference,
            link,
        } => (
            format!("{partner} paid invoice {number}"),
            format!(
                "Hello,\n\n{partner} has recorded the payment of your invoice {number}: \
                 {amount} on {paid_on}.\n\n{note}See the invoice here:\n\n{link}",
                note = quoted("The payment's reference:", reference.as_deref()),
            ),
        ),
        Notice::InvoiceOverdue {
            partner,
            number,
            amount,
            due_date,
            link,
        } => (
            format!("Invoice {number} from {partner} is overdue"),
            format!(
                "Hello,\n\nthe invoice {number} from {partner} ({amount}) was due on \
                 {due_date} and is not marked paid. See it here:\n\n{link}"
            ),
        ),
        Notice::WebhookFailed {
            url,
            event_type,
            event_id,
            attempts,
            disabled,
            link,
        } => (
            format!("Webhook delivery failed: {event_type} to {url}"),
            format!(
                "Hello,\n\nTradepost could not deliver the event {event_id} ({event_type}) to \
                 your webhook endpoint {url} after {attempts} attempts.{off} You can see the \
                 delivery log and send the event again here:\n\n{link}",
                off = if *disabled {
                    " The endpoint has been failing for five days and is now disabled."
                } else {
                    ""
                },
            ),
        ),
    };
    finish(notice, subject, &body, SIGN_OFF, SETTINGS)
}

/// Subject and text of a mail: the body, the sign-off, and (except for the admins' webhook
/// failure mail, which no setting chooses) why the person gets it.
fn finish(
    notice: &Notice,
    subject: String,
    body: &str,
    sign_off: &str,
    settings: &str,
) -> (String, String) {
    let footer = if matches!(notice, Notice::WebhookFailed { .. }) {
        String::new()
    } else {
        format!("\n\n{settings}")
    };
    (subject, format!("{body}\n\n{sign_off}{footer}\n"))
}

fn german(notice: &Notice) -> (String, String) {
    const SIGN_OFF: &str = "Viele Grüße\nIhr Tradepost-Team";
    const SETTINGS: &str = "Sie erhalten diese E-Mail aufgrund Ihrer \
                            Benachrichtigungseinstellungen bei Tradepost; Sie können sie im \
                            Portal ändern.";
    let (subject, body) = match notice {
        Notice::DocumentReceived {
            partner,
            filename,
            link,
        } => (
            format!("Neues Dokument von {partner}: {filename}"),
            format!(
                "Hallo,\n\n{partner} hat Ihrem Unternehmen über Tradepost das Dokument \
                 „{filename}“ gesendet. Hier können Sie es öffnen:\n\n{link}"
            ),
        ),
        Notice::ApprovalRequested {
            partner,
            filename,
            version,
            link,
        } => (
            format!("{partner} bittet um Ihre Freigabe: {filename} (Version {version})"),
            format!(
                "Hallo,\n\n{partner} hat einen Korrekturabzug zur Freigabe gesendet: \
                 „{filename}“, Version {version}. Prüfen Sie ihn und geben Sie ihn frei oder \
                 lehnen Sie ihn ab:\n\n{link}"
            ),
        ),
        Notice::ApprovalDecided {
            partner,
            person,
            approved,
            version,
            comment,
            link,
        } => {
            let verb = if *approved {
                "freigegeben"
            } else {
                "abgelehnt"
            };
            (
                format!("{partner} hat den Korrekturabzug {verb} (Version {version})"),
                format!(
                    "Hallo,\n\n{person} von {partner} hat Version {version} des \
                     Korrekturabzugs {verb}.\n\n{note}Die Einzelheiten finden Sie hier:\n\n{link}",
                    note = quoted("Der Kommentar:", comment.as_deref()),
                ),
            )
        }
        Notice::NewMessage {
            partner,
            person,
            subject,
            excerpt,
            link,
        } => (
            format!("Neue Nachricht von {person} ({partner}): {subject}"),
            format!(
                "Hallo,\n\n{person} von {partner} hat zu „{subject}“ geschrieben:\n\n\
                 {note}Hier können Sie sie lesen und beantworten:\n\n{link}",
                note = quoted("", Some(excerpt)).trim_start().to_owned(),
            ),
        ),
        Notice::RelationshipRequested { partner, link } => (
            format!("{partner} möchte sich auf Tradepost mit Ihnen vernetzen"),
            format!(
                "Hallo,\n\n{partner} möchte sich auf Tradepost mit Ihrem Unternehmen vernetzen. \
                 Prüfen Sie die Anfrage und nehmen Sie sie an oder lehnen Sie sie ab:\n\n{link}"
            ),
        ),
        Notice::AppointmentProposed {
            partner,
            person,
            title,
            when,
            place,
            note,
            link,
        } => (
            format!("{partner} schlägt einen Termin vor: {title}, {when}"),
            format!(
                "Hallo,\n\n{person} von {partner} schlägt einen Termin in {place} vor:\n\n\
                 „{title}“\n{when}\n\n{note}Hier können Sie ihn bestätigen oder \
                 ablehnen:\n\n{link}",
                note = quoted("Die Notiz:", note.as_deref()),
            ),
        ),
        Notice::AppointmentDecided {
            partner,
            confirmed,
            title,
            when,
            place,
            reason,
            link,
        } => {
            let verb = if *confirmed {
                "bestätigt"
            } else {
                "abgelehnt"
            };
            (
                format!("{partner} hat Ihren Terminvorschlag {verb}: {title}"),
                format!(
                    "Hallo,\n\n{partner} hat den von Ihnen vorgeschlagenen Termin in {place} \
                     {verb}:\n\n„{title}“\n{when}\n\n{note}Die Einzelheiten finden Sie \
                     hier:\n\n{link}",
                    note = quoted("Die Begründung:", reason.as_deref()),
                ),
            )
        }
        Notice::InvoiceDisputed {
            partner,
            person,
            number,
            amount,
            reason,
            link,
        } => (
            format!("{partner} beanstandet Rechnung {number}"),
            format!(
                "Hallo,\n\n{person} von {partner} beanstandet Ihre Rechnung {number} \
                 ({amount}).\n\n{note}Antworten Sie in der dafür eröffneten Unterhaltung:\n\n\
                 {link}",
                note = quoted("Die Begründung:", Some(reason)),
            ),
        ),
        Notice::InvoicePaid {
            partner,
            number,
            amount,
            paid_on,
            reference,
            link,
        } => (
            format!("{partner} hat Rechnung {number} bezahlt"),
            format!(
                "Hallo,\n\n{partner} hat die Zahlung Ihrer Rechnung {number} erfasst: \
                 {amount} am {paid_on}.\n\n{note}Die Rechnung finden Sie hier:\n\n{link}",
                note = quoted("Der Verwendungszweck:", reference.as_deref()),
            ),
        ),
        Notice::InvoiceOverdue {
            partner,
            number,
            amount,
            due_date,
            link,
        } => (
            format!("Rechnung {number} von {partner} ist überfällig"),
            format!(
                "Hallo,\n\ndie Rechnung {number} von {partner} ({amount}) war am {due_date} \
                 fällig und ist nicht als bezahlt markiert. Hier finden Sie sie:\n\n{link}"
            ),
        ),
        Notice::WebhookFailed {
            url,
            event_type,
            event_id,
            attempts,
            disabled,
            link,
        } => (
            format!("Webhook-Zustellung fehlgeschlagen: {event_type} an {url}"),
            format!(
                "Hallo,\n\nTradepost konnte das Ereignis {event_id} ({event_type}) nach \
                 {attempts} Versuchen nicht an Ihren Webhook-Endpunkt {url} zustellen.{off} Das \
                 Zustellprotokoll und die erneute Zustellung finden Sie hier:\n\n{link}",
                off = if *disabled {
                    " Der Endpunkt schlägt seit fünf Tagen fehl und ist jetzt deaktiviert."
                } else {
                    ""
                },
            ),
        ),
    };
    finish(notice, subject, &body, SIGN_OFF, SETTINGS)
}

/// Polish catalogue: like `mail`, no past-tense verbs for people and company names after "firma".
fn polish(notice: &Notice) -> (String, String) {
    const SIGN_OFF: &str = "Pozdrawiamy\nZespół Tradepost";
    const SETTINGS: &str = "Otrzymują Państwo tę wiadomość zgodnie z ustawieniami powiadomień w \
                            Tradepost; można je zmienić w portalu.";
    let (subject, body) = match notice {
        Notice::DocumentReceived {
            partner,
            filename,
            link,
        } => (
            format!("Nowy dokument od firmy {partner}: {filename}"),
            format!(
                "Dzień dobry,\n\nfirma {partner} przesyła Państwa firmie dokument „{filename}” \
                 w Tradepost. Dokument można otworzyć tutaj:\n\n{link}"
            ),
        ),
        Notice::ApprovalRequested {
            partner,
            filename,
            version,
            link,
        } => (
            format!("Firma {partner} prosi o akceptację: {filename} (wersja {version})"),
            format!(
                "Dzień dobry,\n\nfirma {partner} przesyła projekt do akceptacji: „{filename}”, \
                 wersja {version}. Projekt można sprawdzić, zaakceptować lub odrzucić \
                 tutaj:\n\n{link}"
            ),
        ),
        Notice::ApprovalDecided {
            partner,
            person,
            approved,
            version,
            comment,
            link,
        } => {
            let outcome = if *approved {
                "zaakceptowana"
            } else {
                "odrzucona"
            };
            (
                format!("Wersja {version} projektu: {outcome} (firma {partner})"),
                format!(
                    "Dzień dobry,\n\nwersja {version} projektu jest {outcome} przez: {person} \
                     (firma {partner}).\n\n{note}Szczegóły są dostępne tutaj:\n\n{link}",
                    note = quoted("Komentarz:", comment.as_deref()),
                ),
            )
        }
        Notice::NewMessage {
            partner,
            person,
            subject,
            excerpt,
            link,
        } => (
            format!("Nowa wiadomość: {subject} ({person}, firma {partner})"),
            format!(
                "Dzień dobry,\n\nnowa wiadomość w wątku „{subject}” od: {person} (firma \
                 {partner}):\n\n{note}Wiadomość można przeczytać i odpowiedzieć tutaj:\n\n{link}",
                note = quoted("", Some(excerpt)).trim_start().to_owned(),
            ),
        ),
        Notice::RelationshipRequested { partner, link } => (
            format!("Firma {partner} chce nawiązać współpracę w Tradepost"),
            format!(
                "Dzień dobry,\n\nfirma {partner} chce nawiązać współpracę z Państwa firmą w \
                 Tradepost. Prośbę można sprawdzić, zaakceptować lub odrzucić tutaj:\n\n{link}"
            ),
        ),
        Notice::AppointmentProposed {
            partner,
            person,
            title,
            when,
            place,
            note,
            link,
        } => (
            format!("Propozycja terminu (firma {partner}): {title}, {when}"),
            format!(
                "Dzień dobry,\n\n{person} (firma {partner}) proponuje termin w lokalizacji \
                 {place}:\n\n„{title}”\n{when}\n\n{note}Termin można potwierdzić lub \
                 odrzucić tutaj:\n\n{link}",
                note = quoted("Notatka:", note.as_deref()),
            ),
        ),
        Notice::AppointmentDecided {
            partner,
            confirmed,
            title,
            when,
            place,
            reason,
            link,
        } => {
            let outcome = if *confirmed {
                "potwierdzony"
            } else {
                "odrzucony"
            };
            (
                format!("Proponowany termin {outcome} (firma {partner}): {title}"),
                format!(
                    "Dzień dobry,\n\nproponowany przez Państwa termin w lokalizacji {place} \
                     jest {outcome} (firma {partner}):\n\n„{title}”\n{when}\n\n{note}\
                     Szczegóły są dostępne tutaj:\n\n{link}",
                    note = quoted("Uzasadnienie:", reason.as_deref()),
                ),
            )
        }
        Notice::InvoiceDisputed {
            partner,
            person,
            number,
            amount,
            reason,
            link,
        } => (
            format!("{partner} kwestionuje fakturę {number}"),
            format!(
                "Dzień dobry,\n\n{person} z firmy {partner} kwestionuje Państwa fakturę \
                 {number} ({amount}).\n\n{note}Odpowiedzieć można w otwartym w tej sprawie \
                 wątku:\n\n{link}",
                note = quoted("Uzasadnienie:", Some(reason)),
            ),
        ),
        Notice::InvoicePaid {
            partner,
            number,
            amount,
            paid_on,
            reference,
            link,
        } => (
            format!("{partner} odnotował zapłatę faktury {number}"),
            format!(
                "Dzień dobry,\n\n{partner} odnotował zapłatę Państwa faktury {number}: \
                 {amount} w dniu {paid_on}.\n\n{note}Fakturę można zobaczyć tutaj:\n\n{link}",
                note = quoted("Tytuł płatności:", reference.as_deref()),
            ),
        ),
        Notice::InvoiceOverdue {
            partner,
            number,
            amount,
            due_date,
            link,
        } => (
            format!("Faktura {number} od {partner} jest przeterminowana"),
            format!(
                "Dzień dobry,\n\ntermin płatności faktury {number} od {partner} ({amount}) \
                 upłynął {due_date}, a faktura nie jest oznaczona jako zapłacona. Można ją \
                 zobaczyć tutaj:\n\n{link}"
            ),
        ),
        Notice::WebhookFailed {
            url,
            event_type,
            event_id,
            attempts,
            disabled,
            link,
        } => (
            format!("Nieudane doręczenie webhooka: {event_type} do {url}"),
            format!(
                "Dzień dobry,\n\nTradepost nie może doręczyć zdarzenia {event_id} \
                 ({event_type}) do Państwa punktu końcowego {url} po {attempts} próbach.{off} \
                 Dziennik doręczeń i ponowne wysłanie są dostępne tutaj:\n\n{link}",
                off = if *disabled {
                    " Punkt końcowy nie działa od pięciu dni i jest teraz wyłączony."
                } else {
                    ""
                },
            ),
        ),
    };
    finish(notice, subject, &body, SIGN_OFF, SETTINGS)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_kind_added_after_a_choice_is_mailed_until_switched_off() {
        let strings = |v: &[&str]| v.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>();
        let chosen = strings(&["talk.message"]);
        let before_quotes = strings(&["talk.message", "task.due", "document.deposited"]);
        // Never chose: the defaults.
        assert!(wants(None, None, "quote.quoted"));
        // Chose before quotes existed: quotes come, what was switched off stays off.
        assert!(wants(Some(&chosen), Some(&before_quotes), "quote.quoted"));
        assert!(!wants(Some(&chosen), Some(&before_quotes), "task.due"));
        assert!(wants(Some(&chosen), Some(&before_quotes), "talk.message"));
        // Chose knowing every kind (or without a record of what was known): only the choice.
        let all = strings(MAIL_EVENT_TYPES);
        assert!(!wants(Some(&chosen), Some(&all), "quote.quoted"));
        assert!(!wants(Some(&chosen), None, "quote.quoted"));
        // Nothing that cannot be mailed.
        assert!(!wants(Some(&chosen), Some(&before_quotes), "card.received"));
        let got = effective(Some(&chosen), Some(&before_quotes));
        assert!(got.contains(&"quote.quoted".to_owned()) && !got.contains(&"task.due".to_owned()));
        assert!(!got.contains(&"document.deposited".to_owned()), "{got:?}");
        let order: Vec<usize> = got
            .iter()
            .filter_map(|g| MAIL_EVENT_TYPES.iter().position(|t| t == g))
            .collect();
        assert!(order.windows(2).all(|w| w[0] < w[1]), "canonical order");
    }

    fn all() -> Vec<Notice> {
        let link = "https://tradepost.example/x".to_owned();
        vec![
            Notice::DocumentReceived {
                partner: "Acme\nInjected: yes".into(),
                filename: "order.xml".into(),
                link: link.clone(),
            },
            Notice::ApprovalRequested {
                partner: "Acme".into(),
                filename: "proof.pdf".into(),
                version: 2,
                link: link.clone(),
            },
            Notice::ApprovalDecided {
                partner: "Acme".into(),
                person: "Ann".into(),
                approved: false,
                version: 1,
                comment: Some("Colour is off".into()),
                link: link.clone(),
            },
            Notice::NewMessage {
                partner: "Acme".into(),
                person: "Ann".into(),
                subject: "Order 42".into(),
                excerpt: "When can you ship?".into(),
                link: link.clone(),
            },
            Notice::RelationshipRequested {
                partner: "Acme".into(),
                link: link.clone(),
            },
            Notice::AppointmentProposed {
                partner: "Drogerie Nord".into(),
                person: "Ann".into(),
                title: "Shelf check".into(),
                when: "2026-03-29 10:00–11:00 (Europe/Berlin)".into(),
                place: "Filiale Mitte, Berlin".into(),
                note: Some("Back door, please".into()),
                link: link.clone(),
            },
            Notice::AppointmentDecided {
                partner: "Acme".into(),
                confirmed: false,
                title: "Shelf check".into(),
                when: "2026-03-29 10:00–11:00 (Europe/Berlin)".into(),
                place: "Filiale Mitte, Berlin".into(),
                reason: Some("No staff that day".into()),
                link: link.clone(),
            },
            Notice::InvoiceDisputed {
                partner: "Buchhandlung Nord".into(),
                person: "Ann".into(),
                number: "RE-2026-0042".into(),
                amount: "1190.00 EUR".into(),
                reason: "Line 2 was never delivered".into(),
                link: link.clone(),
            },
            Notice::InvoicePaid {
                partner: "Buchhandlung Nord".into(),
                number: "RE-2026-0042".into(),
                amount: "1190.00 EUR".into(),
                paid_on: "2026-12-01".into(),
                reference: Some("Bank transfer 7781".into()),
                link: link.clone(),
            },
            Notice::InvoiceOverdue {
                partner: "Druckerei Muster".into(),
                number: "RE-2026-0042".into(),
                amount: "1190.00 EUR".into(),
                due_date: "2026-11-30".into(),
                link: link.clone(),
            },
            Notice::WebhookFailed {
                url: "https://erp.example/hook".into(),
                event_type: "document.deposited".into(),
                event_id: "evt_1".into(),
                attempts: 8,
                disabled: true,
                link,
            },
        ]
    }

    #[test]
    fn every_notice_renders_in_every_language_with_its_link() {
        for notice in all() {
            let mut subjects = Vec::new();
            for lang in Language::ALL {
                let mail = render(&notice, lang);
                assert!(!mail.subject.contains('\n'), "{}", mail.subject);
                assert!(!mail.subject.is_empty());
                assert!(mail.text.contains("https://"), "{lang}: {}", mail.text);
                subjects.push(mail.subject);
            }
            subjects.dedup();
            assert_eq!(subjects.len(), 3, "{:?}", notice.name());
        }
        let de = render(&all()[2], Language::De);
        assert!(de.text.contains("> Colour is off"), "{}", de.text);
        assert!(de.subject.contains("abgelehnt"));
        let proposed = render(&all()[5], Language::En);
        assert!(
            proposed.text.contains("> Back door, please"),
            "{}",
            proposed.text
        );
        assert!(proposed.text.contains("(Europe/Berlin)"));
        let decided = render(&all()[6], Language::Pl);
        assert!(
            decided.text.contains("> No staff that day"),
            "{}",
            decided.text
        );
        assert!(decided.subject.contains("odrzucony"));
        let disputed = render(&all()[7], Language::De);
        assert!(
            disputed.text.contains("> Line 2 was never delivered"),
            "{}",
            disputed.text
        );
        assert!(disputed.subject.contains("RE-2026-0042"));
    }

    #[test]
    fn mail_settings_parse_and_refuse() {
        let got = parse_mail_events(
            "events",
            &["talk.message".into(), "document.deposited".into()],
        )
        .unwrap();
        assert_eq!(got, vec!["document.deposited", "talk.message"]);
        assert!(parse_mail_events("events", &[]).unwrap().is_empty());
        let err = parse_mail_events("events", &["talk.message".into(), "card.received".into()])
            .unwrap_err();
        assert_eq!(err.problem().field.as_deref(), Some("events[1]"));
    }
}
