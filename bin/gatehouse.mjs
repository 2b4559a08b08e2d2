#!/usr/bin/env node
// Launcher for the `gatehouse` command (TypeScript sources run through tsx).
import { register } from 'tsx/esm/api';
register();
await import('../cli/main.ts');
