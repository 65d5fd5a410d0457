/**
 * A self-signed certificate (and its key) for the host name `secure.test`, valid for 100 years,
 * made once with `openssl req -x509 -newkey ec …` for tests of TLS through the fetch guard. Test
 * material only: nothing trusts it.
 */
export const SELF_SIGNED_HOST = "secure.test";

export const SELF_SIGNED_KEY = `-----BEGIN PRIVATE KEY-----
MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgYYc4GsWPaMe+xZIU
3TsXtiFda3zkN5Xy0D0OuUWywEuhRANCAAS3rKevRwl2RqflA+b69J5FXNAxyD6n
49eeMWDAcwWSQJZotWeTBwAv3VpqbQ5Wftq60IFvqpZLaHyvGa/XPhze
-----END PRIVATE KEY-----
`;

export const SELF_SIGNED_CERT = `-----BEGIN CERTIFICATE-----
MIIBmzCCAUGgAwIBAgIUarBcKFRhugJCZ/vzK7mLa0tOvX8wCgYIKoZIzj0EAwIw
FjEUMBIGA1UEAwwLc2VjdXJlLnRlc3QwIBcNMjYxMjA3MDgxNjE0WhgPMjEyNjEx
MTMwODE2MTRaMBYxFDASBgNVBAMMC3NlY3VyZS50ZXN0MFkwEwYHKoZIzj0CAQYI
KoZIzj0DAQcDQgAEt6ynr0cJdkan5QPm+vSeRVzQMcg+p+PXnjFgwHMFkkCWaLVn
kwcAL91aam0OVn7autCBb6qWS2h8rxmv1z4c3qNrMGkwHQYDVR0OBBYEFGMC2R1t
YBNQS35M621Vz4FEAhV9MB8GA1UdIwQYMBaAFGMC2R1tYBNQS35M621Vz4FEAhV9
MA8GA1UdEwEB/wQFMAMBAf8wFgYDVR0RBA8wDYILc2VjdXJlLnRlc3QwCgYIKoZI
zj0EAwIDSAAwRQIhAP2jKgdvUfKdUTUnftVfrcD0ACIUgzgLydTtJ/ME9ZwvAiAy
8JQa5oC3QHr54bNrdiX6wxzTs8OPUz35KP9IZ+RHxg==
-----END CERTIFICATE-----
`;
