package console

// Config is the console section of config.yaml.
type Config struct {
	// Enabled makes the terminal a staff surface: `threadline watch` and
	// `threadline say` talk to the daemon over the loopback admin API.
	Enabled bool `yaml:"enabled"`
}
