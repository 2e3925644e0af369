module github.com/kimiclaw/kimiscale

go 1.26.7

require (
	github.com/spf13/cobra v1.10.2
	k8s.io/cli-runtime v0.37.2
	k8s.io/utils v0.0.0-20261023123148-ca04ba58ecab
)

require (
	github.com/inconshreveable/mousetrap v1.1.0 // indirect
	github.com/spf13/pflag v1.0.10 // indirect
)
