// SPDX-License-Identifier: GPL-2.0
// Node-side checks for tests/validate/run.sh, with the packages of package.json:
//
//   node checks.mjs speedscope FILE...   each file against speedscope's own file-format schema
//                                        (ajv), then what the schema cannot say: frame indexes
//                                        in range, one weight per sample, endValue the sum
//   node checks.mjs pprof FILE.pb.gz     decoded by pprof-format (Datadog's pure-JS decoder):
//                                        string 0 is "", dense 1-based ids, references resolve
//
// Modules resolve from NODE_PATH's node_modules (run.sh installs them under $(OUT)).
import { createRequire } from 'node:module';
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import path from 'node:path';

const require = createRequire(path.join(process.env.RS_NODE_DIR, 'node_modules', 'x.js'));

function fail(msg) {
	console.error('check failed: ' + msg);
	process.exit(1);
}

function speedscope(files) {
	const Ajv = require('ajv');
	const schemaPath = require.resolve('speedscope/dist/release/file-format-schema.json');
	const schema = JSON.parse(readFileSync(schemaPath, 'utf8'));
	const validate = new Ajv({ strict: false, allErrors: true }).compile(schema);

	for (const file of files) {
		const doc = JSON.parse(readFileSync(file, 'utf8'));

		if (!validate(doc))
			fail(file + ': ' + JSON.stringify(validate.errors, null, 1));
		const nFrames = doc.shared.frames.length;
		for (const p of doc.profiles) {
			if (p.type !== 'sampled')
				fail(file + ': profile ' + p.name + ' is not sampled');
			if (p.samples.length !== p.weights.length)
				fail(file + ': ' + p.name + ': samples and weights differ in length');
			for (const s of p.samples)
				for (const i of s)
					if (!Number.isInteger(i) || i < 0 || i >= nFrames)
						fail(file + ': ' + p.name + ': frame index ' + i);
			const sum = p.weights.reduce((a, b) => a + b, 0);
			if (p.endValue - p.startValue !== sum)
				fail(file + ': ' + p.name + ': endValue ' + p.endValue + ' != ' + sum);
		}
		console.log(file.split('/').pop() + ': schema ok, ' + doc.profiles.length +
			    ' profiles, ' + nFrames + ' frames');
	}
}

function pprof(file) {
	const { Profile } = require('pprof-format');
	const p = Profile.decode(gunzipSync(readFileSync(file)));
	const str = (i) => {
		const n = Number(i);
		if (n < 0 || n >= p.stringTable.strings.length)
			fail(file + ': string index ' + n);
		return p.stringTable.strings[n];
	};
	const dense = (what, v) => v.forEach((x, i) => {
		if (Number(x.id) !== i + 1)
			fail(file + ': ' + what + ' ' + i + ' has id ' + x.id);
	});

	if (p.stringTable.strings[0] !== '')
		fail(file + ': string 0 is not ""');
	dense('mapping', p.mapping);
	dense('location', p.location);
	dense('function', p.function);
	for (const l of p.location) {
		if (Number(l.mappingId) > p.mapping.length)
			fail(file + ': location ' + l.id + ' mapping ' + l.mappingId);
		for (const ln of l.line)
			if (Number(ln.functionId) < 1 || Number(ln.functionId) > p.function.length)
				fail(file + ': location ' + l.id + ' function ' + ln.functionId);
	}
	for (const s of p.sample) {
		if (s.value.length !== p.sampleType.length)
			fail(file + ': a sample has ' + s.value.length + ' values');
		for (const id of s.locationId)
			if (Number(id) < 1 || Number(id) > p.location.length)
				fail(file + ': sample location ' + id);
	}
	const types = p.sampleType.map((t) => str(t.type) + '/' + str(t.unit)).join(' ');
	const inline = p.location.filter((l) => l.line.length > 1).length;
	const ids = p.mapping.filter((m) => str(m.buildId) !== '').length;
	console.log(file.split('/').pop() + ': ' + types + '; ' + p.sample.length + ' samples, ' +
		    p.location.length + ' locations (' + inline + ' inline chains), ' +
		    p.mapping.length + ' mappings (' + ids + ' with build-id)');
}

const [cmd, ...args] = process.argv.slice(2);
if (cmd === 'speedscope')
	speedscope(args);
else if (cmd === 'pprof')
	pprof(args[0]);
else
	fail('usage: checks.mjs speedscope FILE... | pprof FILE');
