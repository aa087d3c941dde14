package config

import "fmt"

// dcsOrder is the order in which Patroni looks for a DCS section (its module
// names, alphabetically); the first present section wins.
var dcsOrder = []string{"consul", "etcd", "etcd3", "exhibitor", "kubernetes", "raft", "zookeeper"}

// SupportedDCS are the DCS sections this implementation can use.
var SupportedDCS = []string{"etcd3", "consul", "zookeeper"}

// DCSSections lists the DCS sections present in a raw configuration, in
// Patroni's selection order.
func DCSSections(raw map[string]any) []string {
	var out []string
	for _, name := range dcsOrder {
		if _, ok := raw[name]; ok {
			out = append(out, name)
		}
	}
	return out
}

// DCSType returns the DCS section Patroni would use ("etcd3", "consul" or
// "zookeeper"), or an error when there is none or it is a type this
// implementation does not support (etcd v2, exhibitor, kubernetes, raft).
func (c *Config) DCSType() (string, error) {
	found := DCSSections(c.Raw)
	if len(found) == 0 {
		return "", fmt.Errorf("no DCS section configured: configure one of etcd3, consul, zookeeper")
	}
	if !contains(SupportedDCS, found[0]) {
		return "", unsupportedDCSError(found[0])
	}
	return found[0], nil
}

func unsupportedDCSError(name string) error {
	what := name
	if name == "etcd" {
		what = "etcd (the etcd v2 API)"
	}
	return fmt.Errorf("DCS type %s is not supported: use etcd3, consul or zookeeper", what)
}

// CtlAuth is the Basic auth patronictl and the node use for REST calls:
// ctl.authentication, falling back to restapi.authentication.
func (c *Config) CtlAuth() *Auth {
	if c.Ctl.Authentication != nil {
		return c.Ctl.Authentication
	}
	return c.RestAPI.Authentication
}

// CtlCACert is ctl.cacert, falling back to restapi.cafile.
func (c *Config) CtlCACert() string {
	if c.Ctl.CACert != "" {
		return c.Ctl.CACert
	}
	return c.RestAPI.CAFile
}
