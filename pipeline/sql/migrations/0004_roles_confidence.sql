-- Migration 4: mono calls are split into agent and customer by voice; how sure the roles are.
ALTER TABLE calls ADD COLUMN IF NOT EXISTS roles_confidence DOUBLE;
