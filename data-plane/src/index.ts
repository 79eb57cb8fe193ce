// Public entry of @matrixinfer/data-plane.
export { startGateway, type GatewayOptions, type GatewayHandle } from './gateway/gateway.js';
export { startSimulator, type RunningSimulator, type StartSimulatorOptions } from './sim/simulator.js';
export { PROFILES as SIM_PROFILES, type SimOptions, type SimOptionsInput } from './sim/config.js';
