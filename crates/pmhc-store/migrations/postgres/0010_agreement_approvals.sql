-- An agreement shares nothing until the disclosing partner (both ways: each party) approves it.
-- Agreements recorded before approvals existed were in force: they are carried over as approved.
ALTER TABLE sharing_agreements ADD COLUMN discloser_approved_on DATE;
ALTER TABLE sharing_agreements ADD COLUMN discloser_approved_by TEXT;
ALTER TABLE sharing_agreements ADD COLUMN recipient_approved_on DATE;
ALTER TABLE sharing_agreements ADD COLUMN recipient_approved_by TEXT;
UPDATE sharing_agreements SET
    discloser_approved_on = created_at::date, discloser_approved_by = 'carried over by migration 10',
    recipient_approved_on = created_at::date, recipient_approved_by = 'carried over by migration 10';
