package main

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// Every flag error names the flag, the value given and what is valid, in one
// form: `--origins 0: valid is 1 or more`, or, for a value that does not
// parse, `--speed "abc": not a number; valid is 1 to 100000 ...`. The words
// for what is valid live on the flag (validAnnotation), so pflag's parse
// errors, which only know the Go type ("strconv.ParseFloat: parsing "abc":
// invalid syntax"), can say them too.

// validAnnotation is the flag annotation holding what the flag accepts.
const validAnnotation = "kimiscale.kimiclaw.io/valid"

// setValid records what the flag name of fs accepts; it panics on a name fs
// does not have, which is a programming error caught by every test.
func setValid(fs *pflag.FlagSet, name, valid string) {
	if err := fs.SetAnnotation(name, validAnnotation, []string{valid}); err != nil {
		panic(err)
	}
}

// badFlag is the error for a flag whose value parsed but is out of range.
func badFlag(name string, value any, valid string) error {
	return fmt.Errorf("--%s %v: valid is %s", name, value, valid)
}

// flagError is the commands' FlagErrorFunc: it rewrites pflag's "invalid
// argument" errors into the form above and leaves others (unknown flag,
// missing value) as pflag words them, since they already name the flag.
func flagError(_ *cobra.Command, err error) error {
	ive, ok := errors.AsType[*pflag.InvalidValueError](err)
	if !ok {
		return err
	}
	f := ive.GetFlag()
	noun := typeNoun(f.Value.Type())
	if noun == "" {
		return err
	}
	if v := f.Annotations[validAnnotation]; len(v) > 0 {
		return fmt.Errorf("--%s %q: not %s; valid is %s", f.Name, ive.GetValue(), noun, v[0])
	}
	if f.Value.Type() == "duration" {
		noun += " such as 90s, 15m or 1h30m"
	}
	return fmt.Errorf("--%s %q: valid is %s", f.Name, ive.GetValue(), noun)
}

// typeNoun names what a pflag value type accepts; empty for types whose
// parse errors pflag already words well enough.
func typeNoun(typ string) string {
	switch typ {
	case "bool":
		return "true or false"
	case "duration":
		return "a duration"
	case "float64":
		return "a number"
	case "int", "int32", "int64":
		return "a whole number"
	}
	return ""
}

// refuseUnread returns an error naming every flag given on the command line
// that cmd inherits from the root (kubeconfig, Prometheus, --interval,
// --config) but does not read, except those in reads: an offline command
// would otherwise ignore them silently, and simulate --interval 1m would
// look like decisions every minute. what says what cmd does instead.
func refuseUnread(cmd *cobra.Command, what string, reads ...string) error {
	var given []string
	cmd.InheritedFlags().VisitAll(func(f *pflag.Flag) {
		if f.Changed && !slices.Contains(reads, f.Name) {
			given = append(given, "--"+f.Name)
		}
	})
	if len(given) == 0 {
		return nil
	}
	return fmt.Errorf("%s %s and does not read %s: drop %s", cmd.CommandPath(), what, strings.Join(given, ", "), pronoun(len(given)))
}

func pronoun(n int) string {
	if n == 1 {
		return "it"
	}
	return "them"
}
