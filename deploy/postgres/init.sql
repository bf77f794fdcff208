-- Local PostgreSQL: one database per service, each owned by its own login role,
-- so a service cannot read or write another service's tables.
-- Runs once, on the first start of an empty data volume (docker-entrypoint-initdb.d).
-- The passwords are for the local stack only; production credentials live in
-- the <svc>-secrets Secret (deploy/README.md).
-- Adding a service is a copy of one block.

-- profile-svc
CREATE ROLE profile_svc LOGIN PASSWORD 'profile_svc';
CREATE DATABASE profile OWNER profile_svc;
REVOKE CONNECT ON DATABASE profile FROM PUBLIC;

-- tiering-svc
CREATE ROLE tiering_svc LOGIN PASSWORD 'tiering_svc';
CREATE DATABASE tiering OWNER tiering_svc;
REVOKE CONNECT ON DATABASE tiering FROM PUBLIC;

-- advisory-svc
CREATE ROLE advisory_svc LOGIN PASSWORD 'advisory_svc';
CREATE DATABASE advisory OWNER advisory_svc;
REVOKE CONNECT ON DATABASE advisory FROM PUBLIC;

-- notify-svc
CREATE ROLE notify_svc LOGIN PASSWORD 'notify_svc';
CREATE DATABASE notify OWNER notify_svc;
REVOKE CONNECT ON DATABASE notify FROM PUBLIC;

-- ops-assessment-svc
CREATE ROLE ops_assessment_svc LOGIN PASSWORD 'ops_assessment_svc';
CREATE DATABASE ops_assessment OWNER ops_assessment_svc;
REVOKE CONNECT ON DATABASE ops_assessment FROM PUBLIC;
