"""How events look on the wire: the payload each type carries (`payloads`), the outbox row a
domain event becomes (`rows`), and the envelope and channels the relay publishes on
(`envelope`). docs/events.md is the contract these implement; use cases raise plain
`domain.events` values and never see this package."""
