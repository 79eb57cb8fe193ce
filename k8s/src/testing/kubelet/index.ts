// Public entry of the stand-in kubelet (test fixture: Pods -> local simulator processes).
export { startStandInKubelet, type StandInKubelet, type StandInKubeletOptions } from './kubelet.js';
export { allocatePodIp, simulatorLaunch, podStatus, expandVars } from './launch.js';
