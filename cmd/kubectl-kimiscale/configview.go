package main

import (
	"fmt"

	"github.com/spf13/cobra"
	"sigs.k8s.io/yaml"
)

func newConfigCmd(o *Options) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "config",
		Short: "Show kimiscale's configuration",
		Args:  cobra.NoArgs,
	}
	cmd.AddCommand(&cobra.Command{
		Use:   "view",
		Short: "Show the effective configuration (config file merged with flags), secrets redacted",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := o.Complete(cmd, nil); err != nil {
				return err
			}
			if err := o.Validate(cmd); err != nil {
				return err
			}
			eff := fileConfig{Prometheus: o.Prometheus, Policy: o.PolicyPath}
			eff.IntervalString = o.Interval.String()
			eff.Prometheus.TimeoutString = o.Prometheus.Timeout.String()
			eff.Prometheus.RangeString = o.Prometheus.Range.String()
			out := struct {
				ConfigFile string     `json:"configFile"`
				Effective  fileConfig `json:"effective"`
			}{o.ConfigPath, eff.redacted()}
			b, err := yaml.Marshal(out)
			if err != nil {
				return fmt.Errorf("render config: %w", err)
			}
			_, err = o.streams.Out.Write(b)
			return err
		},
	})
	return cmd
}
