//! The checks [`super::read`] runs on a recognised invoice: do its sums add up, is it due
//! after it was issued, does it carry what an invoice must. They add [`Finding`]s and never
//! refuse an invoice.
//!
//! Sums are exact ([`Dec`]) and compared after rounding to cents. Sums of stated totals must
//! match to the cent. Where the parts are customarily rounded one by one — line net amounts,
//! each rate's tax — their sum may be up to 0.01 off the stated total without a finding.

use super::decimal::{money, Dec};
use super::{Finding, InvoiceSummary};

/// How far a sum of parts rounded one by one may be off its stated total, in cents.
const ROUNDING_SLACK: u128 = 1;

/// What the checks need beyond the summary, read from the same document.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(super) struct Extras {
    /// The payable amount's rounding (UBL `PayableRoundingAmount`, CII `RoundingAmount`).
    pub(super) rounding: Option<String>,
    /// The sum of the document-level allowances, used when no allowance total is stated.
    pub(super) allowances: Option<String>,
    /// The sum of the document-level charges, used when no charge total is stated.
    pub(super) charges: Option<String>,
    /// More lines than a summary keeps: their sum is not checked.
    pub(super) lines_cut: bool,
}

/// Everything the checks notice about `summary`, in a stable order.
pub(super) fn findings(summary: &InvoiceSummary, extras: &Extras) -> Vec<Finding> {
    let mut out = Vec::new();
    let s = summary;
    let mut found = |code: &str, message: String| {
        out.push(Finding {
            code: code.to_owned(),
            message,
        });
    };

    if !extras.lines_cut && !s.lines.is_empty() {
        let lines = s
            .lines
            .iter()
            .try_fold(Dec::ZERO, |sum, line| sum.add(amount(&line.net_amount)?));
        if let (Some(sum), Some(stated)) = (cents(lines), stated(&s.line_total)) {
            if sum.abs_diff(stated) > ROUNDING_SLACK {
                found(
                    "line_sum_mismatch",
                    format!(
                        "the lines add up to {} but the invoice states {} as line total",
                        money(sum),
                        money(stated)
                    ),
                );
            }
        }
    }

    if let (Some(lines), Some(net)) = (amount(&s.line_total), stated(&s.net_total)) {
        let allowances = amount(&s.allowance_total)
            .or_else(|| amount(&extras.allowances))
            .unwrap_or(Dec::ZERO);
        let charges = amount(&s.charge_total)
            .or_else(|| amount(&extras.charges))
            .unwrap_or(Dec::ZERO);
        let expected = lines.sub(allowances).and_then(|d| d.add(charges));
        if let (Some(expected), Some(a), Some(c), Some(l)) = (
            cents(expected),
            allowances.cents(),
            charges.cents(),
            lines.cents(),
        ) {
            if expected != net {
                found(
                    "net_mismatch",
                    format!(
                        "the line total {} less allowances {} plus charges {} is {} but the \
                         invoice states {} as net total",
                        money(l),
                        money(a),
                        money(c),
                        money(expected),
                        money(net)
                    ),
                );
            }
        }
    }

    for tax in &s.taxes {
        let (Some(taxable), Some(rate), Some(stated_tax)) =
            (amount(&tax.taxable), amount(&tax.rate), stated(&tax.tax))
        else {
            continue;
        };
        let expected = taxable.mul(rate).and_then(Dec::percent);
        if let (Some(expected), Some(base)) = (cents(expected), taxable.cents()) {
            if expected.abs_diff(stated_tax) > ROUNDING_SLACK {
                let category = tax
                    .category
                    .as_deref()
                    .map_or(String::new(), |c| format!(" (category {c})"));
                found(
                    "tax_mismatch",
                    format!(
                        "{}% tax{category} on {} is {} but the invoice states {}",
                        tax.rate.as_deref().unwrap_or_default().trim(),
                        money(base),
                        money(expected),
                        money(stated_tax)
                    ),
                );
            }
        }
    }

    if !s.taxes.is_empty() {
        let breakdown = s
            .taxes
            .iter()
            .try_fold(Dec::ZERO, |sum, tax| sum.add(amount(&tax.tax)?));
        if let (Some(sum), Some(total)) = (cents(breakdown), stated(&s.tax_total)) {
            if sum.abs_diff(total) > ROUNDING_SLACK {
                found(
                    "tax_breakdown_mismatch",
                    format!(
                        "the tax breakdown adds up to {} but the invoice states {} as tax total",
                        money(sum),
                        money(total)
                    ),
                );
            }
        }
    }

    if let (Some(net), Some(tax), Some(gross)) = (
        amount(&s.net_total),
        amount(&s.tax_total),
        stated(&s.gross_total),
    ) {
        if let (Some(expected), Some(n), Some(t)) = (cents(net.add(tax)), net.cents(), tax.cents())
        {
            if expected != gross {
                found(
                    "gross_mismatch",
                    format!(
                        "the net total {} plus tax {} is {} but the invoice states {} as gross \
                         total",
                        money(n),
                        money(t),
                        money(expected),
                        money(gross)
                    ),
                );
            }
        }
    }

    if let (Some(gross), Some(payable)) = (amount(&s.gross_total), stated(&s.payable)) {
        let prepaid = amount(&s.prepaid).unwrap_or(Dec::ZERO);
        let rounding = amount(&extras.rounding).unwrap_or(Dec::ZERO);
        let expected = gross.sub(prepaid).and_then(|d| d.add(rounding));
        if let (Some(expected), Some(g), Some(p), Some(r)) = (
            cents(expected),
            gross.cents(),
            prepaid.cents(),
            rounding.cents(),
        ) {
            if expected != payable {
                let rounded = if r == 0 {
                    String::new()
                } else {
                    format!(" with rounding {}", money(r))
                };
                found(
                    "payable_mismatch",
                    format!(
                        "the gross total {} less prepaid {}{rounded} is {} but the invoice \
                         states {} as payable",
                        money(g),
                        money(p),
                        money(expected),
                        money(payable)
                    ),
                );
            }
        }
    }

    if let (Some(issue), Some(due)) = (&s.issue_date, &s.due_date) {
        // ISO dates order as text.
        if due < issue {
            found(
                "due_before_issue",
                format!("the due date {due} is before the issue date {issue}"),
            );
        }
    }

    let required = [
        (
            "invoice_number",
            "invoice number",
            s.invoice_number.is_none(),
        ),
        ("issue_date", "issue date", s.issue_date.is_none()),
        ("currency", "currency", s.currency.is_none()),
        ("seller.name", "seller name", s.seller.name.is_none()),
        ("payable", "payable amount", s.payable.is_none()),
    ];
    for (field, label, missing) in required {
        if missing {
            found(
                "missing_field",
                format!("the invoice has no {label} ({field})"),
            );
        }
    }

    if let Some(profile) = &s.profile {
        if profile.to_ascii_lowercase().contains("xrechnung") && s.buyer_reference.is_none() {
            found(
                "buyer_reference_missing",
                format!(
                    "the invoice follows XRechnung ({profile}) but has no buyer reference \
                     (Leitweg-ID)"
                ),
            );
        }
    }
    out
}

fn amount(text: &Option<String>) -> Option<Dec> {
    text.as_deref().and_then(Dec::parse)
}

/// A stated amount in cents.
fn stated(text: &Option<String>) -> Option<i128> {
    amount(text)?.cents()
}

fn cents(value: Option<Dec>) -> Option<i128> {
    value?.cents()
}

#[cfg(test)]
mod tests {
    use super::super::{InvoiceFormat, InvoiceLine, TaxBreakdown};
    use super::*;

    fn some(s: &str) -> Option<String> {
        Some(s.to_owned())
    }

    /// A complete invoice whose sums add up: two lines, 19 %, an allowance and a charge.
    fn sound() -> InvoiceSummary {
        let mut s = InvoiceSummary::empty(InvoiceFormat::UblInvoice);
        s.invoice_number = some("R-1");
        s.issue_date = some("2024-04-02");
        s.due_date = some("2024-05-02");
        s.currency = some("EUR");
        s.seller.name = some("Seller GmbH");
        s.lines = ["100.00", "50.005"]
            .iter()
            .map(|net| InvoiceLine {
                net_amount: some(net),
                ..InvoiceLine::default()
            })
            .collect();
        s.line_total = some("150.01");
        s.allowance_total = some("10.01");
        s.charge_total = some("5");
        s.net_total = some("145.00");
        s.taxes = vec![TaxBreakdown {
            category: some("S"),
            rate: some("19"),
            taxable: some("145.00"),
            tax: some("27.55"),
        }];
        s.tax_total = some("27.55");
        s.gross_total = some("172.55");
        s.prepaid = some("20");
        s.payable = some("152.55");
        s
    }

    fn codes(s: &InvoiceSummary, extras: &Extras) -> Vec<String> {
        findings(s, extras).into_iter().map(|f| f.code).collect()
    }

    #[test]
    fn invoice_check_a_sound_invoice_has_no_findings() {
        assert_eq!(findings(&sound(), &Extras::default()), vec![]);
    }

    #[test]
    fn invoice_check_rounding_slack_is_one_cent_for_parts_only() {
        let mut s = sound();
        s.line_total = some("150.02");
        s.net_total = some("145.01");
        s.taxes[0].taxable = some("145.01");
        s.gross_total = some("172.56");
        s.payable = some("152.56");
        assert_eq!(codes(&s, &Extras::default()), Vec::<String>::new());
        s.line_total = some("150.03");
        assert_eq!(
            codes(&s, &Extras::default()),
            ["line_sum_mismatch", "net_mismatch"]
        );
    }

    #[test]
    fn invoice_check_payable_counts_rounding_and_derived_allowances() {
        let mut s = sound();
        s.payable = some("152.60");
        let extras = Extras {
            rounding: some("0.05"),
            ..Extras::default()
        };
        assert_eq!(codes(&s, &extras), Vec::<String>::new());
        let f = findings(&s, &Extras::default());
        assert_eq!(f[0].code, "payable_mismatch");
        assert_eq!(
            f[0].message,
            "the gross total 172.55 less prepaid 20.00 is 152.55 but the invoice states 152.60 \
             as payable"
        );
        let mut s = sound();
        s.allowance_total = None;
        s.charge_total = None;
        let extras = Extras {
            allowances: some("10.01"),
            charges: some("5.00"),
            ..Extras::default()
        };
        assert_eq!(codes(&s, &extras), Vec::<String>::new());
        assert_eq!(codes(&s, &Extras::default()), ["net_mismatch"]);
    }

    #[test]
    fn invoice_check_unreadable_or_missing_amounts_skip_their_check() {
        let mut s = sound();
        s.lines[1].net_amount = None;
        s.taxes[0].rate = None;
        s.gross_total = some(&"9".repeat(39));
        assert_eq!(codes(&s, &Extras::default()), Vec::<String>::new());
        // Amounts at the edge of what fits: their difference does not, and must not wrap.
        let mut s = sound();
        let big = "9".repeat(36);
        s.lines = vec![InvoiceLine {
            net_amount: Some(format!("-{big}")),
            ..InvoiceLine::default()
        }];
        s.line_total = Some(big.clone());
        s.taxes[0].tax = Some(format!("-{big}"));
        s.tax_total = Some(big);
        let found = codes(&s, &Extras::default());
        assert!(found.contains(&"line_sum_mismatch".to_owned()), "{found:?}");
        assert!(
            found.contains(&"tax_breakdown_mismatch".to_owned()),
            "{found:?}"
        );
        let extras = Extras {
            lines_cut: true,
            ..Extras::default()
        };
        let mut s = sound();
        s.line_total = some("1");
        assert_eq!(codes(&s, &extras), ["net_mismatch"]);
    }
}
