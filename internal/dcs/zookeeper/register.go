package zookeeper

import "github.com/patroni-go/patroni/internal/dcs"

// The zookeeper section of a Patroni configuration opens this backend.
func init() {
	dcs.Register("zookeeper", func(section map[string]any, opts dcs.OpenOptions) (dcs.Store, error) {
		cfg, err := ConfigFromMap(section)
		if err != nil {
			return nil, err
		}
		return New(cfg, opts.Identity, opts.Timing, opts.Logger)
	})
}
