// Test fixtures other workspaces use (the e2e suites): the cluster (test API server, or the
// real one named by KUBECONFIG), real kubectl, and the stand-in kubelet.
export { testCluster, type TestCluster } from './apiserver/cluster.js';
export { kubectl, kubectlPath, type KubectlResult } from './apiserver/kubectl.js';
export { startTestApiServer, type TestApiServer, type TestApiServerOptions } from './apiserver/server.js';
export { startStandInKubelet, type StandInKubelet, type StandInKubeletOptions } from './kubelet/kubelet.js';
