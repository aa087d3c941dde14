package etcd3

import "github.com/patroni-go/patroni/internal/dcs"

func init() {
	dcs.Register("etcd3", func(section map[string]any, opts dcs.OpenOptions) (dcs.Store, error) {
		cfg, err := ConfigFromMap(section)
		if err != nil {
			return nil, err
		}
		cfg.Linearizable = opts.Consistent
		return New(cfg, opts.Identity, opts.Timing, opts.Logger)
	})
}
