// The Kubernetes-mode subcommands. Each file in this folder exports one factory; list it here.
import type { Command } from 'commander';
import type { CliIO } from '@matrixinfer/control-plane';
import { controllerCommand } from './controller.js';
import { installCommand } from './install.js';
import { webhookCommand } from './webhook.js';

/** Builds one subcommand; `io` carries stdout/stderr/env/clock so tests can drive it. */
export type K8sCommandFactory = (io: CliIO) => Command;

/** Every Kubernetes-mode subcommand, in help order. */
export const K8S_COMMANDS: K8sCommandFactory[] = [
  controllerCommand,
  webhookCommand,
  installCommand,
];
