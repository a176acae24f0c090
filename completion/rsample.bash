# SPDX-License-Identifier: GPL-2.0
# bash completion for rsample(1): commands, options (those of the command being typed)
# and their values. Installed as /usr/share/bash-completion/completions/rsample; uses
# bash builtins only (no bash-completion helpers needed). `source` it to try it.

_rsample() {
	local cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD - 1]}
	local target="-p --pid -t --tid -c --cgroup"
	local common="--max-debug-size --symbol-cache-size --host-root -v --verbose -h --help"
	local snapshot="--json --no-kernel --stack-bytes --threshold --symbolize-budget --backend --sort --compare --captures --timings"
	local profile="--on-cpu --off-cpu -F --freq -d --duration --min-block --max-block
		--format -o --output --interval --out-dir --push --push-app --push-queue --group-by
		--max-cpu --no-kernel --stack-bytes"
	local watch="--threshold --interval --json --out-dir --no-kernel --stack-bytes
		--symbolize-budget --sort"
	local cmd= i
	for ((i = 1; i < COMP_CWORD; i++)); do
		case ${COMP_WORDS[i]} in
		snapshot | profile | watch | check)
			cmd=${COMP_WORDS[i]}
			break
			;;
		esac
	done

	COMPREPLY=()
	case $prev in
	-p | --pid | -t | --tid)
		local ids
		ids=$(cd /proc 2>/dev/null && compgen -G '[0-9]*')
		COMPREPLY=($(compgen -W "$ids" -- "$cur"))
		return
		;;
	-c | --cgroup)
		# cgroup v2 paths relative to the mount, as rsample takes them
		local root
		root=$(findmnt -n -t cgroup2 -o TARGET 2>/dev/null | head -n 1)
		root=${root:-/sys/fs/cgroup}
		COMPREPLY=($(cd "$root" 2>/dev/null && compgen -d -S / -- "$cur"))
		compopt -o nospace 2>/dev/null
		return
		;;
	--backend)
		COMPREPLY=($(compgen -W "auto bpf proc" -- "$cur"))
		return
		;;
	--format)
		COMPREPLY=($(compgen -W "folded svg pprof speedscope" -- "$cur"))
		return
		;;
	--sort)
		COMPREPLY=($(compgen -W "rank blocked" -- "$cur"))
		return
		;;
	--group-by)
		COMPREPLY=($(compgen -W "thread process none" -- "$cur"))
		return
		;;
	-o | --output)
		COMPREPLY=($(compgen -f -- "$cur"))
		return
		;;
	--out-dir | --host-root)
		COMPREPLY=($(compgen -d -- "$cur"))
		return
		;;
	--stack-bytes | --threshold | --symbolize-budget | --compare | --captures | -F | --freq | \
		-d | --duration | --min-block | --max-block | --interval | --max-cpu | --max-debug-size | \
		--symbol-cache-size | --push | --push-app | --push-queue)
		return # a number, a duration, a size, a URL or a name
		;;
	esac

	local words
	case $cmd in
	check) words="-v --verbose -h --help" ;;
	profile) words="$target $profile $common" ;;
	watch) words="$target $watch $common" ;;
	snapshot) words="$target $snapshot $common" ;;
	*)
		if [[ $cur == -* ]]; then
			words="$target $snapshot $common --check -V --version"
		else
			words="snapshot profile watch check"
		fi
		;;
	esac
	COMPREPLY=($(compgen -W "$words" -- "$cur"))
}
complete -F _rsample rsample
