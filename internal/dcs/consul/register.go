package consul

import "github.com/patroni-go/patroni/internal/dcs"

func init() {
	dcs.Register("consul", func(section map[string]any, opts dcs.OpenOptions) (dcs.Store, error) {
		cfg, err := ConfigFromMap(section)
		if err != nil {
			return nil, err
		}
		if opts.Consistent {
			cfg.Consistency = ConsistencyConsistent // patronictl reads consistently, as Patroni's ctl does
		}
		return New(cfg, opts.Identity, opts.Timing, opts.Logger)
	})
}
