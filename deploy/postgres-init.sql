-- Run once by the postgres image on an empty volume: a second database for the Inngest
-- server's history (Chorus uses the `chorus` database the image creates from POSTGRES_DB).
CREATE DATABASE inngest;
