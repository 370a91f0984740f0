-- The mail kinds that existed when a person chose (JSON array), so that a kind added later is
-- mailed to them by default instead of being off because it was not in their choice
-- (shared::notice::wants). The rows saved so far knew the twelve kinds before complaints and
-- quotes.
ALTER TABLE notification_settings ADD COLUMN known TEXT;
UPDATE notification_settings SET known = '["document.deposited","approval.requested","approval.decided","talk.message","relationship.requested","appointment.proposed","appointment.decided","invoice.disputed","invoice.paid","invoice.overdue","task.assigned","task.due"]';
