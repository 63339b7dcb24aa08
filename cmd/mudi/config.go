package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
)

// setting is one configuration value with its flag name and MUDI_* environment twin.
type setting struct {
	flag, env, usage string
	secret, isBool   bool
	set              func(string) error
	get              func() string
}

// settings binds typed configuration fields to flags and environment variables. Defaults are
// the fields' initial values; the environment overrides them and flags override the environment.
type settings struct {
	name string
	list []setting
}

func (s *settings) str(p *string, flagName, usage string) {
	s.add(setting{flag: flagName, usage: usage, set: func(v string) error { *p = v; return nil }, get: func() string { return *p }})
}

func (s *settings) secretList(p *[]string, flagName, usage string) {
	s.add(setting{flag: flagName, usage: usage, secret: true,
		set: func(v string) error {
			*p = nil
			for _, k := range strings.Split(v, ",") {
				if k = strings.TrimSpace(k); k != "" {
					*p = append(*p, k)
				}
			}
			return nil
		},
		get: func() string { return strings.Join(*p, ",") }})
}

func (s *settings) integer(p *int, flagName, usage string) {
	s.add(setting{flag: flagName, usage: usage,
		set: func(v string) error {
			n, err := strconv.Atoi(v)
			if err != nil || n < 0 {
				return fmt.Errorf("%q is not a non-negative integer", v)
			}
			*p = n
			return nil
		},
		get: func() string { return strconv.Itoa(*p) }})
}

func (s *settings) boolean(p *bool, flagName, usage string) {
	s.add(setting{flag: flagName, usage: usage, isBool: true,
		set: func(v string) error {
			b, err := strconv.ParseBool(v)
			if err != nil {
				return fmt.Errorf("%q is not true or false", v)
			}
			*p = b
			return nil
		},
		get: func() string { return strconv.FormatBool(*p) }})
}

func (s *settings) duration(p *time.Duration, flagName, usage string) {
	s.add(setting{flag: flagName, usage: usage,
		set: func(v string) error {
			d, err := time.ParseDuration(v)
			if err != nil || d < 0 {
				return fmt.Errorf("%q is not a duration such as 30s or 2m", v)
			}
			*p = d
			return nil
		},
		get: func() string { return p.String() }})
}

func (s *settings) add(st setting) {
	st.env = "MUDI_" + strings.ToUpper(strings.ReplaceAll(st.flag, "-", "_"))
	s.list = append(s.list, st)
}

// parse applies the environment, then the flags in args; it returns the positional arguments.
// MUDI_* variables that no command knows are rejected, so typos do not pass silently.
func (s *settings) parse(args []string, getenv func(string) string, environ []string, stderr io.Writer) ([]string, error) {
	for _, st := range s.list {
		if v := getenv(st.env); v != "" {
			if err := st.set(v); err != nil {
				return nil, usageError{fmt.Sprintf("%s: %v", st.env, err)}
			}
		}
	}
	for _, kv := range environ {
		k, _, _ := strings.Cut(kv, "=")
		if strings.HasPrefix(k, "MUDI_") && !knownEnv()[k] {
			return nil, usageError{fmt.Sprintf("unknown environment variable %s", k)}
		}
	}
	fs := flag.NewFlagSet("mudi "+s.name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	for _, st := range s.list {
		fs.Var(flagValue{st}, st.flag, st.usage+" (env "+st.env+")")
	}
	// Allow flags after positional arguments (mudi import FILE --layer x).
	var positional []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return nil, usageError{}
			}
			return nil, usageError{err.Error()}
		}
		if fs.NArg() == 0 {
			break
		}
		positional = append(positional, fs.Arg(0))
		args = fs.Args()[1:]
	}
	return positional, nil
}

// describe returns the effective configuration as key/value pairs for logging, secrets masked.
func (s *settings) describe() []any {
	var out []any
	for _, st := range s.list {
		v := st.get()
		if st.secret && v != "" {
			v = mask(v)
		}
		out = append(out, strings.ReplaceAll(st.flag, "-", "_"), v)
	}
	return out
}

func mask(v string) string {
	n := len(strings.Split(v, ","))
	return fmt.Sprintf("[%d key(s) masked]", n)
}

// knownEnv returns every MUDI_* variable of every command, collected from the command
// definitions so that the list cannot drift from them.
func knownEnv() map[string]bool {
	known := map[string]bool{}
	for _, s := range []*settings{newServeSettings(&serveConfig{}), newImportSettings(&importConfig{}), newExportSettings(&exportConfig{}), newAnalyzeSettings(&analyzeConfig{})} {
		for _, st := range s.list {
			known[st.env] = true
		}
	}
	return known
}

// flagValue adapts a setting to flag.Value.
type flagValue struct{ st setting }

func (v flagValue) String() string {
	if v.st.get == nil || v.st.secret {
		return ""
	}
	return v.st.get()
}
func (v flagValue) Set(s string) error { return v.st.set(s) }
func (v flagValue) IsBoolFlag() bool   { return v.st.isBool }
