-- The application's roles, database and schemas, run by start.sh as the superuser at every start (idempotent):
-- each service logs in as its own role, owns only its own schema (its tables) and cannot see the other's.
\getenv backend_password BACKEND_DB_PASSWORD
\getenv chatbot_password CHATBOT_DB_PASSWORD
\getenv backend_limit BACKEND_CONNECTION_LIMIT
\getenv chatbot_limit CHATBOT_CONNECTION_LIMIT
SET client_min_messages = warning;

SELECT format('CREATE ROLE %I', name) FROM (VALUES ('todo_backend'), ('todo_chatbot')) AS roles (name)
  WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = name) \gexec
-- A role may open at most what its service's pools can: one service cannot take the other's connections.
ALTER ROLE todo_backend WITH LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS
  CONNECTION LIMIT :backend_limit PASSWORD :'backend_password';
ALTER ROLE todo_chatbot WITH LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS
  CONNECTION LIMIT :chatbot_limit PASSWORD :'chatbot_password';

SELECT format('CREATE DATABASE %I', :'database')
  WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = :'database') \gexec
REVOKE ALL ON DATABASE :"database" FROM PUBLIC;
GRANT CONNECT ON DATABASE :"database" TO todo_backend, todo_chatbot;
ALTER ROLE todo_backend IN DATABASE :"database" SET search_path = backend;
ALTER ROLE todo_chatbot IN DATABASE :"database" SET search_path = chatbot;

\connect :"database"
SET client_min_messages = warning;
REVOKE ALL ON SCHEMA public FROM PUBLIC;
CREATE SCHEMA IF NOT EXISTS backend AUTHORIZATION todo_backend;
CREATE SCHEMA IF NOT EXISTS chatbot AUTHORIZATION todo_chatbot;
ALTER SCHEMA backend OWNER TO todo_backend;
ALTER SCHEMA chatbot OWNER TO todo_chatbot;
REVOKE ALL ON SCHEMA backend, chatbot FROM PUBLIC;
