-- A device presents its enrollment token without saying its tenant: the lookup of the token's
-- keyed hash crosses tenants, so it needs an index on the hash alone (the one of 0002 leads with
-- the tenant and cannot serve it).
CREATE INDEX enrollment_profiles_token_value_lookup ON enrollment_profiles (token_value_hash);
