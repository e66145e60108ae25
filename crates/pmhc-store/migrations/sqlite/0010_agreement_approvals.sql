-- An agreement shares nothing until the disclosing partner (both ways: each party) approves it.
-- Agreements recorded before approvals existed were in force: they are carried over as approved.
ALTER TABLE sharing_agreements ADD COLUMN discloser_approved_on TEXT;
ALTER TABLE sharing_agreements ADD COLUMN discloser_approved_by TEXT;
ALTER TABLE sharing_agreements ADD COLUMN recipient_approved_on TEXT;
ALTER TABLE sharing_agreements ADD COLUMN recipient_approved_by TEXT;
UPDATE sharing_agreements SET
    discloser_approved_on = substr(created_at, 1, 10), discloser_approved_by = 'carried over by migration 10',
    recipient_approved_on = substr(created_at, 1, 10), recipient_approved_by = 'carried over by migration 10';
