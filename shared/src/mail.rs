//! The mails Tradepost sends, in every supported language.
//!
//! A [`Template`] names the mail and carries its values; [`render`] turns it into a subject and a
//! plain-text body. Each language has one catalogue function below (`english`, `german`,
//! `polish`) holding all of its texts, so a translator reads and edits one place per language.
//!
//! Polish texts avoid past-tense verbs for people (whose grammatical gender is unknown) and put
//! company names after "firma" so they never need to be declined.

use serde::{Deserialize, Serialize};

use crate::lang::Language;

/// How long an e-mail confirmation link stays valid.
pub const CONFIRM_EMAIL_TTL_HOURS: i64 = 48;
/// How long a password reset link stays valid.
pub const PASSWORD_RESET_TTL_HOURS: i64 = 1;
/// How long colleague and company invitations stay valid.
pub const INVITATION_TTL_DAYS: i64 = 14;

/// A mail to send, with the values it needs. Links are complete URLs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "template", rename_all = "snake_case")]
pub enum Template {
    /// Confirm the address given at sign-up.
    ConfirmEmail { name: String, link: String },
    /// Choose a new password.
    PasswordReset { name: String, link: String },
    /// A colleague invites someone into their company's account.
    ColleagueInvitation {
        inviter: String,
        company: String,
        link: String,
    },
    /// A supplier invites a customer company that is not on Tradepost yet.
    CompanyInvitation {
        supplier: String,
        link: String,
        message: Option<String>,
    },
    /// A company asks to become a partner.
    RelationshipRequested { partner: String, link: String },
    /// The asked company approved or rejected the request.
    RelationshipDecided {
        partner: String,
        approved: bool,
        link: String,
    },
    /// Someone shared their business card.
    CardReceived {
        person: String,
        company: String,
        link: String,
    },
}

impl Template {
    /// The partner company the mail is about (the sender's display name), if any.
    #[must_use]
    pub fn partner(&self) -> Option<&str> {
        match self {
            Template::CompanyInvitation { supplier, .. } => Some(supplier),
            Template::RelationshipRequested { partner, .. }
            | Template::RelationshipDecided { partner, .. } => Some(partner),
            Template::CardReceived { company, .. } => Some(company),
            Template::ConfirmEmail { .. }
            | Template::PasswordReset { .. }
            | Template::ColleagueInvitation { .. } => None,
        }
    }
}

/// A mail ready for the sender: a one-line subject and a plain-text body.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RenderedMail {
    /// The subject line, never containing a line break.
    pub subject: String,
    /// The plain-text body, lines separated by `\n`.
    pub text: String,
}

/// The HTML part of a mail from its plain text: the text escaped, paragraphs at blank lines,
/// line breaks kept, and every `http(s)://` link clickable. The text stays the source: both
/// parts always say the same.
#[must_use]
pub fn html_of(text: &str) -> String {
    let mut html = String::from(
        "<!doctype html><html><body style=\"font-family:sans-serif;line-height:1.4\">",
    );
    for paragraph in text.split("\n\n").filter(|p| !p.trim().is_empty()) {
        html.push_str("<p>");
        for (i, line) in paragraph.lines().enumerate() {
            if i > 0 {
                html.push_str("<br>");
            }
            for (j, word) in line.split(' ').enumerate() {
                if j > 0 {
                    html.push(' ');
                }
                if word.starts_with("https://") || word.starts_with("http://") {
                    let url = word.trim_end_matches(['.', ',', ')', ';', ':']);
                    let rest = &word[url.len()..];
                    let url = escape_html(url);
                    html.push_str(&format!("<a href=\"{url}\">{url}</a>"));
                    html.push_str(&escape_html(rest));
                } else {
                    html.push_str(&escape_html(word));
                }
            }
        }
        html.push_str("</p>");
    }
    html.push_str("</body></html>");
    html
}

/// `text` safe inside HTML text and double-quoted attributes.
#[must_use]
pub fn escape_html(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// Renders `template` in `lang`.
///
/// The subject is flattened to one line, so a company name with a line break in it cannot add
/// a mail header.
#[must_use]
pub fn render(template: &Template, lang: Language) -> RenderedMail {
    let (subject, text) = match lang {
        Language::En => english(template),
        Language::De => german(template),
        Language::Pl => polish(template),
    };
    RenderedMail {
        subject: one_line(&subject),
        text,
    }
}

/// Flattens a text to one line (control characters become spaces): a value cannot add a header.
#[must_use]
pub fn one_line(text: &str) -> String {
    text.split(|c: char| c.is_control())
        .filter(|part| !part.trim().is_empty())
        .map(str::trim)
        .collect::<Vec<_>>()
        .join(" ")
}

/// A text (the supplier's note, a comment) quoted line by line after `intro`, or nothing when
/// there is none.
/// `text` as a quote in a plain-text mail: a blank line, then every line with `> `.
#[must_use]
pub fn quote_block(text: &str) -> String {
    let mut out = String::from("\n");
    for line in text.lines() {
        out.push_str("> ");
        out.push_str(line);
        out.push('\n');
    }
    out
}

pub(crate) fn quoted(intro: &str, message: Option<&str>) -> String {
    match message.map(str::trim).filter(|m| !m.is_empty()) {
        None => String::new(),
        Some(m) => {
            let lines: Vec<String> = m
                .lines()
                .map(|l| format!("> {l}").trim_end().to_owned())
                .collect();
            format!("{intro}\n\n{}\n\n", lines.join("\n"))
        }
    }
}

/// English catalogue.
fn english(template: &Template) -> (String, String) {
    const SIGN_OFF: &str = "Best regards,\nThe Tradepost team";
    let (subject, body) = match template {
        Template::ConfirmEmail { name, link } => (
            "Confirm your e-mail address".to_owned(),
            format!(
                "Hello {name},\n\n\
                 Welcome to Tradepost! Please confirm your e-mail address by opening this link:\n\n\
                 {link}\n\n\
                 The link is valid for 48 hours. If you did not sign up for Tradepost, you can \
                 ignore this e-mail."
            ),
        ),
        Template::PasswordReset { name, link } => (
            "Reset your Tradepost password".to_owned(),
            format!(
                "Hello {name},\n\n\
                 We received a request to reset the password of your Tradepost account. You can \
                 choose a new password here:\n\n\
                 {link}\n\n\
                 The link is valid for 1 hour. If you did not ask for this, you can ignore this \
                 e-mail; your password stays unchanged."
            ),
        ),
        Template::ColleagueInvitation {
            inviter,
            company,
            link,
        } => (
            format!("{inviter} invited you to join {company} on Tradepost"),
            format!(
                "Hello,\n\n\
                 {inviter} has invited you to join {company} on Tradepost, where {company} \
                 exchanges documents, approvals and messages with its business partners.\n\n\
                 Accept the invitation and set up your account here:\n\n\
                 {link}\n\n\
                 The invitation is valid for 14 days."
            ),
        ),
        Template::CompanyInvitation {
            supplier,
            link,
            message,
        } => (
            format!("{supplier} invites your company to Tradepost"),
            format!(
                "Hello,\n\n\
                 {supplier} would like to work with your company on Tradepost: exchanging \
                 documents, approving proofs and coordinating orders, all in one place.\n\n\
                 {note}\
                 Register your company and accept the invitation here:\n\n\
                 {link}\n\n\
                 The invitation is valid for 14 days.",
                note = quoted(&format!("A message from {supplier}:"), message.as_deref()),
            ),
        ),
        Template::RelationshipRequested { partner, link } => (
            format!("{partner} would like to connect on Tradepost"),
            format!(
                "Hello,\n\n\
                 {partner} would like to connect with your company on Tradepost. Review the \
                 request and approve or reject it here:\n\n\
                 {link}"
            ),
        ),
        Template::RelationshipDecided {
            partner,
            approved: true,
            link,
        } => (
            format!("{partner} accepted your connection request"),
            format!(
                "Hello,\n\n\
                 {partner} has accepted your connection request on Tradepost. From now on you \
                 can exchange documents and messages with them:\n\n\
                 {link}"
            ),
        ),
        Template::RelationshipDecided {
            partner,
            approved: false,
            link,
        } => (
            format!("{partner} declined your connection request"),
            format!(
                "Hello,\n\n\
                 {partner} has declined your connection request on Tradepost. You can see the \
                 details here:\n\n\
                 {link}"
            ),
        ),
        Template::CardReceived {
            person,
            company,
            link,
        } => (
            format!("{person} ({company}) sent you a business card"),
            format!(
                "Hello,\n\n\
                 {person} from {company} has sent you their business card on Tradepost. You can \
                 view it and add it to your address book here:\n\n\
                 {link}"
            ),
        ),
    };
    (subject, format!("{body}\n\n{SIGN_OFF}\n"))
}

/// German catalogue (formal "Sie").
fn german(template: &Template) -> (String, String) {
    const SIGN_OFF: &str = "Viele Grüße\nIhr Tradepost-Team";
    let (subject, body) = match template {
        Template::ConfirmEmail { name, link } => (
            "Bitte bestätigen Sie Ihre E-Mail-Adresse".to_owned(),
            format!(
                "Hallo {name},\n\n\
                 willkommen bei Tradepost! Bitte bestätigen Sie Ihre E-Mail-Adresse über diesen \
                 Link:\n\n\
                 {link}\n\n\
                 Der Link ist 48 Stunden gültig. Falls Sie sich nicht bei Tradepost registriert \
                 haben, können Sie diese E-Mail ignorieren."
            ),
        ),
        Template::PasswordReset { name, link } => (
            "Ihr Tradepost-Passwort zurücksetzen".to_owned(),
            format!(
                "Hallo {name},\n\n\
                 wir haben eine Anfrage erhalten, das Passwort Ihres Tradepost-Kontos \
                 zurückzusetzen. Hier können Sie ein neues Passwort festlegen:\n\n\
                 {link}\n\n\
                 Der Link ist eine Stunde gültig. Falls Sie das nicht angefordert haben, können \
                 Sie diese E-Mail ignorieren; Ihr Passwort bleibt unverändert."
            ),
        ),
        Template::ColleagueInvitation {
            inviter,
            company,
            link,
        } => (
            format!("{inviter} hat Sie zu {company} auf Tradepost eingeladen"),
            format!(
                "Hallo,\n\n\
                 {inviter} hat Sie eingeladen, {company} auf Tradepost beizutreten. Über \
                 Tradepost tauscht {company} Dokumente, Freigaben und Nachrichten mit \
                 Geschäftspartnern aus.\n\n\
                 Nehmen Sie die Einladung an und richten Sie hier Ihr Konto ein:\n\n\
                 {link}\n\n\
                 Die Einladung ist 14 Tage gültig."
            ),
        ),
        Template::CompanyInvitation {
            supplier,
            link,
            message,
        } => (
            format!("{supplier} lädt Ihr Unternehmen zu Tradepost ein"),
            format!(
                "Hallo,\n\n\
                 {supplier} möchte mit Ihrem Unternehmen über Tradepost zusammenarbeiten: \
                 Dokumente austauschen, Korrekturabzüge freigeben und Aufträge abstimmen, alles \
                 an einem Ort.\n\n\
                 {note}\
                 Registrieren Sie Ihr Unternehmen und nehmen Sie die Einladung hier an:\n\n\
                 {link}\n\n\
                 Die Einladung ist 14 Tage gültig.",
                note = quoted(
                    &format!("Eine Nachricht von {supplier}:"),
                    message.as_deref()
                ),
            ),
        ),
        Template::RelationshipRequested { partner, link } => (
            format!("{partner} möchte sich auf Tradepost mit Ihnen vernetzen"),
            format!(
                "Hallo,\n\n\
                 {partner} möchte sich auf Tradepost mit Ihrem Unternehmen vernetzen. Prüfen Sie \
                 die Anfrage und nehmen Sie sie an oder lehnen Sie sie ab:\n\n\
                 {link}"
            ),
        ),
        Template::RelationshipDecided {
            partner,
            approved: true,
            link,
        } => (
            format!("{partner} hat Ihre Verbindungsanfrage angenommen"),
            format!(
                "Hallo,\n\n\
                 {partner} hat Ihre Verbindungsanfrage auf Tradepost angenommen. Ab sofort können \
                 Sie Dokumente und Nachrichten austauschen:\n\n\
                 {link}"
            ),
        ),
        Template::RelationshipDecided {
            partner,
            approved: false,
            link,
        } => (
            format!("{partner} hat Ihre Verbindungsanfrage abgelehnt"),
            format!(
                "Hallo,\n\n\
                 {partner} hat Ihre Verbindungsanfrage auf Tradepost abgelehnt. Die Einzelheiten \
                 finden Sie hier:\n\n\
                 {link}"
            ),
        ),
        Template::CardReceived {
            person,
            company,
            link,
        } => (
            format!("{person} ({company}) hat Ihnen eine Visitenkarte gesendet"),
            format!(
                "Hallo,\n\n\
                 {person} von {company} hat Ihnen über Tradepost eine Visitenkarte gesendet. Hier \
                 können Sie sie ansehen und in Ihr Adressbuch übernehmen:\n\n\
                 {link}"
            ),
        ),
    };
    (subject, format!("{body}\n\n{SIGN_OFF}\n"))
}

/// Polish catalogue.
fn polish(template: &Template) -> (String, String) {
    const SIGN_OFF: &str = "Pozdrawiamy\nZespół Tradepost";
    let (subject, body) = match template {
        Template::ConfirmEmail { name, link } => (
            "Potwierdź swój adres e-mail".to_owned(),
            format!(
                "Dzień dobry, {name}!\n\n\
                 Dziękujemy za rejestrację w Tradepost. Aby potwierdzić swój adres e-mail, otwórz \
                 poniższy link:\n\n\
                 {link}\n\n\
                 Link jest ważny przez 48 godzin. Jeśli to nie Ty rejestrujesz się w Tradepost, \
                 zignoruj tę wiadomość."
            ),
        ),
        Template::PasswordReset { name, link } => (
            "Resetowanie hasła do Tradepost".to_owned(),
            format!(
                "Dzień dobry, {name}!\n\n\
                 Otrzymaliśmy prośbę o zresetowanie hasła do Twojego konta w Tradepost. Nowe \
                 hasło możesz ustawić tutaj:\n\n\
                 {link}\n\n\
                 Link jest ważny przez 1 godzinę. Jeśli ta prośba nie pochodzi od Ciebie, zignoruj \
                 tę wiadomość – Twoje hasło pozostanie bez zmian."
            ),
        ),
        Template::ColleagueInvitation {
            inviter,
            company,
            link,
        } => (
            format!("{inviter} zaprasza Cię do zespołu firmy {company} w Tradepost"),
            format!(
                "Dzień dobry!\n\n\
                 {inviter} zaprasza Cię do zespołu firmy {company} w Tradepost. Za pośrednictwem \
                 Tradepost firma {company} wymienia dokumenty, zatwierdza projekty i prowadzi \
                 rozmowy ze swoimi partnerami handlowymi.\n\n\
                 Przyjmij zaproszenie i załóż konto tutaj:\n\n\
                 {link}\n\n\
                 Zaproszenie jest ważne przez 14 dni."
            ),
        ),
        Template::CompanyInvitation {
            supplier,
            link,
            message,
        } => (
            format!("Zaproszenie do Tradepost od firmy {supplier}"),
            format!(
                "Dzień dobry!\n\n\
                 Firma {supplier} chce współpracować z Twoją firmą w Tradepost – wymieniać \
                 dokumenty, zatwierdzać projekty i uzgadniać zamówienia w jednym miejscu.\n\n\
                 {note}\
                 Zarejestruj swoją firmę i przyjmij zaproszenie tutaj:\n\n\
                 {link}\n\n\
                 Zaproszenie jest ważne przez 14 dni.",
                note = quoted(
                    &format!("Wiadomość od firmy {supplier}:"),
                    message.as_deref()
                ),
            ),
        ),
        Template::RelationshipRequested { partner, link } => (
            format!("Firma {partner} chce nawiązać współpracę w Tradepost"),
            format!(
                "Dzień dobry!\n\n\
                 Firma {partner} chce nawiązać współpracę z Twoją firmą w Tradepost. Sprawdź \
                 prośbę, a następnie ją zaakceptuj lub odrzuć:\n\n\
                 {link}"
            ),
        ),
        Template::RelationshipDecided {
            partner,
            approved: true,
            link,
        } => (
            format!("Firma {partner} zaakceptowała Twoją prośbę o współpracę"),
            format!(
                "Dzień dobry!\n\n\
                 Firma {partner} zaakceptowała Twoją prośbę o współpracę w Tradepost. Od teraz \
                 możecie wymieniać dokumenty i wiadomości:\n\n\
                 {link}"
            ),
        ),
        Template::RelationshipDecided {
            partner,
            approved: false,
            link,
        } => (
            format!("Firma {partner} odrzuciła Twoją prośbę o współpracę"),
            format!(
                "Dzień dobry!\n\n\
                 Firma {partner} odrzuciła Twoją prośbę o współpracę w Tradepost. Szczegóły \
                 znajdziesz tutaj:\n\n\
                 {link}"
            ),
        ),
        Template::CardReceived {
            person,
            company,
            link,
        } => (
            format!("{person} ({company}) przesyła Ci wizytówkę"),
            format!(
                "Dzień dobry!\n\n\
                 {person} z firmy {company} przesyła Ci swoją wizytówkę w Tradepost. Możesz ją \
                 obejrzeć i dodać do książki adresowej tutaj:\n\n\
                 {link}"
            ),
        ),
    };
    (subject, format!("{body}\n\n{SIGN_OFF}\n"))
}

#[cfg(test)]
mod tests {
    use super::*;

    const LINK: &str = "https://app.tradepost.dev/x?t=lt_abc123";

    fn every_template() -> Vec<Template> {
        vec![
            Template::ConfirmEmail {
                name: "Anna".into(),
                link: LINK.into(),
            },
            Template::PasswordReset {
                name: "Anna".into(),
                link: LINK.into(),
            },
            Template::ColleagueInvitation {
                inviter: "Jörg Gößwein".into(),
                company: "Druckerei Gößwein".into(),
                link: LINK.into(),
            },
            Template::CompanyInvitation {
                supplier: "Druckerei Gößwein".into(),
                link: LINK.into(),
                message: Some("Wie besprochen.\nBis bald!".into()),
            },
            Template::CompanyInvitation {
                supplier: "Druckerei Gößwein".into(),
                link: LINK.into(),
                message: None,
            },
            Template::RelationshipRequested {
                partner: "Zakład Łódź".into(),
                link: LINK.into(),
            },
            Template::RelationshipDecided {
                partner: "Zakład Łódź".into(),
                approved: true,
                link: LINK.into(),
            },
            Template::RelationshipDecided {
                partner: "Zakład Łódź".into(),
                approved: false,
                link: LINK.into(),
            },
            Template::CardReceived {
                person: "Małgorzata Nowak".into(),
                company: "Zakład Łódź".into(),
                link: LINK.into(),
            },
        ]
    }

    #[test]
    fn every_template_renders_in_every_language_with_its_link() {
        for template in every_template() {
            for lang in Language::ALL {
                let mail = render(&template, lang);
                assert!(!mail.subject.trim().is_empty(), "{template:?} {lang}");
                assert!(!mail.subject.contains(['\n', '\r']), "{template:?} {lang}");
                assert_eq!(mail.text.matches(LINK).count(), 1, "{template:?} {lang}");
                assert!(
                    mail.text.contains(&format!("\n\n{LINK}\n")),
                    "the link stands on its own line: {template:?} {lang}"
                );
                assert!(!mail.text.contains(['{', '}']), "{template:?} {lang}");
                let sign_off = match lang {
                    Language::En => "\n\nBest regards,\nThe Tradepost team\n",
                    Language::De => "\n\nViele Grüße\nIhr Tradepost-Team\n",
                    Language::Pl => "\n\nPozdrawiamy\nZespół Tradepost\n",
                };
                assert!(mail.text.ends_with(sign_off), "{template:?} {lang}");
            }
        }
    }

    #[test]
    fn german_and_polish_differ_from_english() {
        for template in every_template() {
            let en = render(&template, Language::En);
            for lang in [Language::De, Language::Pl] {
                let other = render(&template, lang);
                assert_ne!(other.subject, en.subject, "{template:?} {lang}");
                assert_ne!(other.text, en.text, "{template:?} {lang}");
            }
            assert_ne!(
                render(&template, Language::De),
                render(&template, Language::Pl)
            );
        }
    }

    #[test]
    fn the_values_appear_in_the_mail() {
        for lang in Language::ALL {
            for template in every_template() {
                let mail = render(&template, lang);
                let all = format!("{}\n{}", mail.subject, mail.text);
                let values: Vec<&str> = match &template {
                    Template::ConfirmEmail { name, .. } | Template::PasswordReset { name, .. } => {
                        vec![name]
                    }
                    Template::ColleagueInvitation {
                        inviter, company, ..
                    } => {
                        vec![inviter, company]
                    }
                    Template::CompanyInvitation { supplier, .. } => vec![supplier],
                    Template::RelationshipRequested { partner, .. }
                    | Template::RelationshipDecided { partner, .. } => vec![partner],
                    Template::CardReceived {
                        person, company, ..
                    } => vec![person, company],
                };
                for value in values {
                    assert!(all.contains(value), "{value} in {template:?} {lang}");
                }
            }
        }
    }

    #[test]
    fn link_mails_state_how_long_the_link_lasts() {
        let expiry = |template: &Template, lang: Language| -> Option<&'static str> {
            let text = match (template, lang) {
                (Template::ConfirmEmail { .. }, Language::En) => "valid for 48 hours",
                (Template::ConfirmEmail { .. }, Language::De) => "48 Stunden gültig",
                (Template::ConfirmEmail { .. }, Language::Pl) => "ważny przez 48 godzin",
                (Template::PasswordReset { .. }, Language::En) => "valid for 1 hour",
                (Template::PasswordReset { .. }, Language::De) => "eine Stunde gültig",
                (Template::PasswordReset { .. }, Language::Pl) => "ważny przez 1 godzinę",
                (
                    Template::ColleagueInvitation { .. } | Template::CompanyInvitation { .. },
                    Language::En,
                ) => "valid for 14 days",
                (
                    Template::ColleagueInvitation { .. } | Template::CompanyInvitation { .. },
                    Language::De,
                ) => "14 Tage gültig",
                (
                    Template::ColleagueInvitation { .. } | Template::CompanyInvitation { .. },
                    Language::Pl,
                ) => "ważne przez 14 dni",
                _ => return None,
            };
            Some(text)
        };
        let mut checked = 0;
        for template in every_template() {
            for lang in Language::ALL {
                if let Some(phrase) = expiry(&template, lang) {
                    assert!(
                        render(&template, lang).text.contains(phrase),
                        "{template:?} {lang}"
                    );
                    checked += 1;
                }
            }
        }
        assert_eq!(checked, 15);
        assert_eq!(
            (
                CONFIRM_EMAIL_TTL_HOURS,
                PASSWORD_RESET_TTL_HOURS,
                INVITATION_TTL_DAYS
            ),
            (48, 1, 14),
            "the texts above say so; change them together"
        );
    }

    #[test]
    fn the_suppliers_note_is_quoted_when_given() {
        let with = |message: Option<&str>| Template::CompanyInvitation {
            supplier: "Acme".into(),
            link: LINK.into(),
            message: message.map(str::to_owned),
        };
        for lang in Language::ALL {
            let mail = render(&with(Some("  Hello partner,\n\nsee you soon.  ")), lang);
            assert!(
                mail.text.contains("> Hello partner,\n>\n> see you soon.\n"),
                "{lang}: {}",
                mail.text
            );
            let without = render(&with(None), lang);
            assert!(!without.text.contains("> "), "{lang}");
            assert_eq!(render(&with(Some("   ")), lang), without, "{lang}");
        }
    }

    #[test]
    fn approval_and_rejection_read_differently() {
        for lang in Language::ALL {
            let decided = |approved| {
                render(
                    &Template::RelationshipDecided {
                        partner: "Acme".into(),
                        approved,
                        link: LINK.into(),
                    },
                    lang,
                )
            };
            assert_ne!(decided(true).subject, decided(false).subject, "{lang}");
            assert_ne!(decided(true).text, decided(false).text, "{lang}");
        }
    }

    #[test]
    fn subjects_cannot_smuggle_headers() {
        let template = Template::ColleagueInvitation {
            inviter: "Eve\r\nBcc: victim@example.com".into(),
            company: "Acme\n".into(),
            link: LINK.into(),
        };
        for lang in Language::ALL {
            let mail = render(&template, lang);
            assert!(!mail.subject.contains(['\r', '\n']), "{lang}");
            assert!(
                mail.subject.contains("Eve Bcc: victim@example.com"),
                "{lang}"
            );
        }
    }

    #[test]
    fn the_html_part_says_what_the_text_says_escaped_with_links() {
        let html =
            html_of("Hello <Ada> & co,\n\nOpen it here:\nhttps://t.example/c?token=a&b=1.\n\nBye");
        assert!(
            html.contains("<p>Hello &lt;Ada&gt; &amp; co,</p>"),
            "{html}"
        );
        assert!(
            html.contains(
                "<p>Open it here:<br><a href=\"https://t.example/c?token=a&amp;b=1\">\
                 https://t.example/c?token=a&amp;b=1</a>.</p>"
            ),
            "{html}"
        );
        assert!(html.contains("<p>Bye</p>"), "{html}");
        assert!(!html.contains("<Ada>"), "{html}");
        assert_eq!(escape_html("\"'"), "&quot;&#39;");
    }

    #[test]
    fn templates_serialise_with_a_tag() {
        let t = Template::RelationshipDecided {
            partner: "Acme".into(),
            approved: true,
            link: LINK.into(),
        };
        let json = serde_json::to_value(&t).unwrap();
        assert_eq!(json["template"], "relationship_decided");
        assert_eq!(serde_json::from_value::<Template>(json).unwrap(), t);
    }
}
