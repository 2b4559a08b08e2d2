// oidc-provider 9 ships no type declarations; the broker tests use it untyped (test-only).
declare module 'oidc-provider';
