#!/usr/bin/env node
// Runs the Kubernetes-mode CLI (`mi controller`, `mi webhook`, `mi install`) through tsx (no build step).
import { register } from 'tsx/esm/api';
register();
await import('../src/cli/mi-k8s.ts');
