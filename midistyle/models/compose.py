"""Generate chorales with a trained chorale model: a phrase plan, sampled tokens, cadences, held fermatas.

``ChoraleGenerator.load()`` reads the shipped Transformer (``midistyle/models/weights/chorale``;
its ONNX export when current, see :mod:`midistyle.models.onnx_networks`);
``generate(bars=16, key="D major", seed=1)`` returns a four-voice score and the story of how it was
made. A sample that does not decode to four voices reaching its final chord is drawn again (up to
``max_attempts``); overlapping notes inside a voice are trimmed (and counted).

**Phrases.** Once the first bar shows the meter and pickup, a phrase plan is drawn from Bach's
(:mod:`midistyle.music.phrase_plan`): where the fermatas fall, and the final chord in the last bar.
Tokens come in stretches of 32; a stretch that reaches a planned phrase end stops just past it and
is drawn again until the end closes with a cadence (read by the harmony critic's
:func:`midistyle.music.cadences.cadence_at`), the final one a perfect authentic cadence (V-I, both
in root position, the soprano on the tonic), on the root of the opening's first chord
(:func:`midistyle.music.cadences.home_key`; Bach ends 0.90 of his chorales so), the piece written in
that key. A free piece's first bar is drawn again (up to ``OPENING_DRAWS`` times) until it is in one
of Bach's meters and its first chord is the tonic of the key it is in (:func:`opens_on_its_tonic`),
and the last phrase, with or without a prompt, is written with the logits biased towards the home
key (:mod:`midistyle.models.home_key_bias`). The fermata chords are then held, a voice that
falls silent inside a phrase holds its note to its next one (Bach's voices rest after fermatas),
and the piece ends on its final chord at a bar line.

**Voice leading.** With ``voice_leading_retries`` > 0 (the default is 3) a stretch that adds marks
of the harmony critic (:mod:`midistyle.music.harmony`, at every onset: parallels, clashes,
unexplained dissonances, leaps…) is drawn again from the same point (the cache is kept), up to that
many times, keeping the draw whose marks weigh least, each mark weighed by how rarely Bach breaks
its rule (:func:`midistyle.music.harmony.mark_weights`: a parallel octave outweighs several
overlaps). Before that, with ``parallel_guard`` (the default), a token that would write parallel
fifths or octaves, or (in the key heard so far, from the first bar on) a cross-relation (spelled
also in that key's parallel, dominant and subdominant) or an augmented or diminished step, is drawn
again as it is sampled (:mod:`midistyle.models.parallel_guard`). These
are rules on top of the network, like the harmonizer's decoder; ``voice_leading_retries=0`` with
``parallel_guard=False`` and ``avoid_quotes=False`` leaves the network alone between phrase ends
(the last phrase's key bias stays), and ``phrase_plan=False`` gives the generator as it was before
phrase plans.

**Quotation.** A draw of a stretch that writes a run of more than ``MAX_QUOTED_BARS`` (2)
consecutive bars each found, note for note at some transposition, in Bach's train chorales
(:mod:`midistyle.music.bar_quotes`), taking in a bar it changed, ranks below every draw that does
not and is drawn again while the stretch's draws last (after a prompt, only the new bars count;
phrase ends reached and the final bar are judged held, as they will be written); an ending that
quotes is kept only when every writing of the last phrase does. ``avoid_quotes=False`` turns it off.
"""

from __future__ import annotations

import dataclasses
import os
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from midistyle.errors import InputError
from midistyle.models.chorale_config import ChoraleConfig
from midistyle.models.chorale_sampling import TokenSampler
from midistyle.models.home_key_bias import home_key_bias, pitches_per_id
from midistyle.models.onnx_networks import CHORALE_FILES, OnnxChoraleModel, use_onnx
from midistyle.models.parallel_guard import UNITS_PER_WHOLE, ParallelGuard, VoiceState, token_parts
from midistyle.music.bar_quotes import MAX_QUOTED_BARS, bar_signatures, signature_hash, train_bar_hashes
from midistyle.music.cadences import cadence_at, home_key
from midistyle.music.harmony import ENDING_RULES, critique, mark_weights
from midistyle.music.keys import estimate_key, key_of_tonic
from midistyle.music.metrics import beat_steps
from midistyle.music.phrase_plan import PhrasePlan, has_bach_meter, hold_phrase_ends, plan_phrases
from midistyle.music.score import Key, Note, Score, Voice
from midistyle.music.tokens import ScoreTokenizer

WEIGHTS_DIR = Path(__file__).resolve().parent / "weights" / "chorale"
TOKENS_PER_BAR_BUDGET = 160  # a cap only: plain REMI needs ~75 tokens per four-voice bar, BPE 1000 ~22
CHECK_EVERY_TOKENS = 32
REDRAW_BATCH = 4  # redraws of a stretch drawn side by side: four cost 1.9 times one on the ONNX step
CADENCE_DRAWS = 16  # draws of a stretch that reaches a phrase end, until it closes with a cadence
FINAL_DRAWS_FACTOR = 2  # the final cadence may take twice as many
LAST_PHRASE_TRIES = 4  # and when none of those draws ends on a perfect V-I, the last phrase is written again
# How much a draw's cadence costs: Bach's commonest (authentic, half, phrygian: 86 % of his phrase
# ends) nothing, the rarer ones a little, no cadence (or a final one that is not a perfect V-I on the tonic) most.
# A final V-I (or vii-I) on the tonic that is not perfect (V inverted or a leading-tone chord, the bass
# not 5-1, the soprano off the tonic) is kept only when no draw closes with a perfect one.
# A perfect V-I on the tonic of the finished piece's key, when that is not the key the piece opened
# in, is kept over it.
IMPERFECT_FINAL = "authentic imperfect"
AWAY_FINAL = "authentic away"
CADENCE_COST = {"authentic": 0, "half": 0, "phrygian": 0, "plagal": 1, "deceptive": 1,
                AWAY_FINAL: 1, IMPERFECT_FINAL: 2}
MISSED_COST = 3
UNREACHED_COST = 2  # a draw meant to reach a phrase end that stops short of it
NEAR_END_BARS = 2  # a phrase end this close to where a stretch starts ends the stretch just past it
NEAR_END_CHECK_TOKENS = 4  # looking every this many tokens
FIRST_BAR_TOKENS = 160  # tokens drawn at most before the meter and pickup are known
OPENING_DRAWS = 8  # a free piece's first bar drawn again until its first chord is its key's tonic, in Bach's meters


@dataclass
class GeneratedChorale:
    """A generated score with the story of how it was obtained.

    ``plan`` is the phrase plan it followed (None with ``phrase_plan=False``); ``cadences`` names the
    cadence reached at each of its phrase ends, in order (``"none"`` where no draw made one);
    ``ending_closed`` says whether the final one is a perfect authentic cadence on the tonic (V-I,
    both in root position, the soprano on the tonic); ``opened_in`` is the key of the opening's first
    chord (:func:`midistyle.music.cadences.home_key`) when the piece closes perfectly in another
    instead; ``held_changes``
    counts the notes lengthened, moved or removed to hold the fermata chords or fill a rest inside a
    phrase.
    """

    score: Score
    attempts: int
    tokens: int
    trimmed_overlaps: int
    notes: list[str] = field(default_factory=list)
    plan: PhrasePlan | None = None
    cadences: tuple[str, ...] = ()
    ending_closed: bool = False
    held_changes: int = 0
    opened_in: Key | None = None

    def describe(self) -> str:
        """What the piece's phrases did, in one line (empty without a plan)."""
        if self.plan is None:
            return ""
        last = self.cadences[-1] if self.cadences else "none"
        if self.ending_closed:
            ending = "ends with a perfect V-I on the tonic" + (f" ({self.score.key})" if self.score.key else "")
            if self.opened_in is not None:
                ending += f", not in {self.opened_in}, the key it opened in"
        elif last == "authentic":
            ending = ("no draw ended with a perfect V-I on the tonic (both in root position, the soprano "
                      "on the tonic): it ends with another authentic cadence")
        else:
            ending = f"no draw ended V-I on the tonic: it ends with a {last} cadence"
        held = f"; {self.held_changes} notes changed to hold the fermata chords or fill rests" \
            if self.held_changes else ""
        after_prompt = " after the prompt" if len(self.cadences) < len(self.plan.ends) else ""  # its own ends
        return (f"{self.plan.bars} bars, {self.plan.describe()}; cadences{after_prompt}: "
                f"{', '.join(self.cadences)}; {ending}{held}")


@dataclass(frozen=True)
class _Request:
    """What one piece must be: its length, and how hard sampling tries."""

    bars: int | None
    phrases: int | None
    retries: int
    cadence_draws: int
    temperature: float
    opening_temperature: float
    kept_ends: tuple[int, ...]
    start_step: int
    follow_plan: bool
    home_key: Key | None = None  # the key of the opening's first chord (a free piece's: set once drawn)
    seek_home: bool = True  # keep_home_key: end on the opening's first chord (a free one drawn to be its tonic)
    avoid_quotes: bool = True  # redraw a stretch that quotes more than MAX_QUOTED_BARS bars of Bach's in a row


class ChoraleGenerator:
    """A loaded chorale model and its tokenizer."""

    def __init__(self, config: ChoraleConfig, model, tokenizer: ScoreTokenizer):
        self.config, self.model, self.tokenizer = config, model, tokenizer
        self._parallel_guard: ParallelGuard | None = None
        self._pitches: list[tuple[int, ...]] | None = None

    @classmethod
    def load(cls, folder: str | os.PathLike | None = None) -> ChoraleGenerator:
        folder = Path(folder) if folder is not None else WEIGHTS_DIR
        if not (folder / "config.json").exists():
            raise InputError(f"no trained chorale model in {folder} (run `midistyle train chorale`)")
        config = ChoraleConfig.from_json((folder / "config.json").read_text())
        if config.model == "transformer" and use_onnx(folder, CHORALE_FILES):
            model = OnnxChoraleModel(config, folder / "step.onnx")
        else:
            from midistyle.models.chorale import build_model  # TensorFlow loads here

            model = build_model(config)
            model.load_weights(str(folder / "model.weights.h5"))
        return cls(config, model, ScoreTokenizer.load(folder / "tokenizer.json"))

    def generate(
        self,
        *,
        bars: int | None = None,
        phrases: int | None = None,
        key: str | None = None,
        temperature: float = 0.8,
        opening_temperature: float | None = None,
        top_k: int | None = None,
        top_p: float | None = 0.95,
        seed: int = 0,
        prompt: Score | None = None,
        max_attempts: int = 5,
        voice_leading_retries: int = 3,
        parallel_guard: bool = True,
        cadence_draws: int = CADENCE_DRAWS,
        phrase_plan: bool = True,
        use_cache: bool = True,
        keep_home_key: bool = True,
        avoid_quotes: bool = True,
    ) -> GeneratedChorale:
        """One chorale in phrases, ending with a cadence on a held final chord.

        Parameters
        ----------
        bars : int or None, keyword-only
            Length in whole bars after the pickup (1-64, default 16); the final chord falls in the last bar.
        phrases : int or None, keyword-only
            Instead of ``bars``: this many phrases (1-32), lengths drawn from Bach's.
        cadence_draws : int, keyword-only
            Draws of a stretch of tokens that reaches a phrase end, until one closes it with a cadence
            (the final one with a perfect authentic cadence on the tonic).
        phrase_plan : bool, keyword-only
            False: the generator before phrase plans (no fermatas; cut after ``bars`` bars).
        opening_temperature : float or None, keyword-only
            The temperature of stretches in the first half of a phrase (the rest, towards the
            cadence, at ``temperature``); None: ``temperature`` throughout.
        voice_leading_retries : int, keyword-only
            Redraws of a stretch that adds critic marks (0: none).
        parallel_guard : bool, keyword-only
            Draw a token again when it would write parallel fifths or octaves, a cross-relation or
            an augmented or diminished step (:mod:`midistyle.models.parallel_guard`); False with
            ``voice_leading_retries=0`` and ``avoid_quotes=False`` leaves the network alone between
            phrase ends.
        keep_home_key : bool, keyword-only
            End on the root of the opening's first chord (the key of
            :func:`midistyle.music.cadences.home_key`: a prompt's, or of a free piece's first bar,
            which is drawn again, up to ``OPENING_DRAWS`` times, until it is in one of Bach's meters
            and its first chord is the tonic of the key it is in; a free opening that never is has
            no home key), writing the last phrase towards that key
            (:mod:`midistyle.models.home_key_bias`), and write the piece in that key; when no draw
            ends there, end with a perfect V-I on the finished piece's own tonic, written in its own
            key (as is a piece whose ending missed both). False: none of this; end on the tonic of
            whatever key the finished piece is in. Without a phrase plan there is no last phrase and
            no home key.
        avoid_quotes : bool, keyword-only
            Draw a stretch again when it writes a run of more than ``MAX_QUOTED_BARS`` consecutive
            bars each found in Bach's train chorales (:mod:`midistyle.music.bar_quotes`; after a
            prompt, only new bars count). Without a phrase plan it does nothing.
        """
        if phrases is not None:
            if bars is not None:
                raise InputError("give the length in bars or in phrases, not both")
            if not phrase_plan:
                raise InputError("phrases need the phrase plan")
            if not 1 <= phrases <= 32:
                raise InputError(f"phrases={phrases} must be in 1..32")
        else:
            bars = 16 if bars is None else bars
            if not 1 <= bars <= 64:
                raise InputError(f"bars={bars} must be in 1..64")
        if not 0.0 < temperature <= 5.0:
            raise InputError(f"temperature={temperature} must be in (0, 5]")
        if opening_temperature is not None and not 0.0 < opening_temperature <= 5.0:
            raise InputError(f"opening_temperature={opening_temperature} must be in (0, 5]")
        if top_k is not None and top_k < 1:
            raise InputError(f"top_k={top_k} must be >= 1")
        if top_p is not None and not 0.0 < top_p <= 1.0:
            raise InputError(f"top_p={top_p} must be in (0, 1]")
        if cadence_draws < 0:
            raise InputError(f"cadence_draws={cadence_draws} must be >= 0")
        target_key = Key.parse(key) if key else None
        prefix = [self.tokenizer.bos_id] + (self.tokenizer.encode(prompt) if prompt is not None else [])
        if len(prefix) >= self.config.context:
            raise InputError(f"the prompt is {len(prefix)} tokens; the model's context is {self.config.context}")
        grid = self.tokenizer.config.steps_per_quarter  # the prompt's fermatas and end on the tokens' grid
        request = _Request(bars, phrases, voice_leading_retries, cadence_draws, temperature,
                           opening_temperature if opening_temperature is not None else temperature,
                           prompt.fermatas_on_grid(grid) if prompt is not None else (),
                           round(prompt.num_steps * grid / prompt.steps_per_quarter) if prompt is not None else 0,
                           phrase_plan, home_key(prompt) if prompt is not None and keep_home_key else None,
                           keep_home_key, avoid_quotes)
        rng = np.random.default_rng(seed)
        notes: list[str] = []
        for attempt in range(1, max_attempts + 1):
            sampler = TokenSampler(self.model, prefix, rng=rng, temperature=temperature, top_k=top_k, top_p=top_p,
                                   banned_tokens=(self.tokenizer.eos_id, self.tokenizer.pad_id), use_cache=use_cache,
                                   guard=self._guard() if parallel_guard else None)
            plan_rng = np.random.default_rng([seed, attempt])
            tokens, plan, cadences, final_kind, home = self._sample(sampler, request, plan_rng)
            closed = final_kind in ("authentic", AWAY_FINAL)  # perfect, on the tonic of the key it is written in
            opened_in = home if final_kind == AWAY_FINAL else None
            ends_home = home is not None and final_kind in ("authentic", IMPERFECT_FINAL)  # on the home tonic
            score, problem = self._decode(tokens, request, plan)
            if problem:
                notes.append(f"attempt {attempt}: {problem}; sampled again")
                continue
            score, trimmed = make_monophonic(score)
            held = 0
            if plan is not None:
                score, held = hold_phrase_ends(score, plan, from_step=request.start_step)
            # the key the critic reads it in, so the MusicXML has its signature and spells its chromatic
            # notes by it (D# leading to E in E minor, not E-flat): the home key when it ends there, else
            # the finished piece's, as its final cadence was judged
            written_in = home if ends_home else estimate_key(score) if final_kind == AWAY_FINAL else None
            if target_key is not None:
                score, shift = transpose_to_key(score, target_key, notes, written_in)
                written_in = score.key
                opened_in = key_of_tonic(opened_in.tonic_pitch_class + shift, opened_in.mode) if opened_in else None
            score = score.replace(key=written_in or estimate_key(score))
            return GeneratedChorale(score, attempt, len(tokens), trimmed, notes, plan, cadences, closed, held,
                                    opened_in)
        raise InputError(f"no valid chorale in {max_attempts} attempts ({notes[-1]})")

    def _pitches_per_id(self) -> list[tuple[int, ...]]:
        """The pitches each token id writes (read once)."""
        if self._pitches is None:
            self._pitches = pitches_per_id(token_parts(self.tokenizer))
        return self._pitches

    def _guard(self) -> ParallelGuard:
        """The parallel guard for this generator's tokenizer (built once)."""
        if self._parallel_guard is None:
            self._parallel_guard = ParallelGuard(self.tokenizer)
        return self._parallel_guard

    # -- sampling ----------------------------------------------------------------------------------
    def _sample(self, sampler: TokenSampler, request: _Request, plan_rng: np.random.Generator
                ) -> tuple[list[int], PhrasePlan | None, tuple[str, ...], str, Key | None]:
        """Stretches of tokens until the plan's final chord is written (EOS is never sampled).

        A stretch is drawn again while it adds critic marks (up to ``retries`` times) and, when it
        reaches a phrase end, until that end closes with a cadence (up to ``cadence_draws`` times,
        twice that at the final chord); the draw that does not quote Bach (see the module's
        docstring), then with the cheapest cadences, then the lightest marks, then the fewest notes
        moving under a fermata, is kept. When the final chord still does not close a perfect V-I on
        the tonic, or its stretch quotes, the last phrase is written again from its start (up to
        ``LAST_PHRASE_TRIES``). Returns the tokens, the plan, the cadences, the final cadence's kind as
        :meth:`_cadence` names it, and the home key the final cadence was sought on (None: the
        finished piece's own).
        """
        plan, free_home = self._start(sampler, request, plan_rng) if request.follow_plan else (None, None)
        if request.follow_plan and plan is None:
            return sampler.tokens, None, (), "none missed", None
        if free_home is not None:
            request = dataclasses.replace(request, home_key=free_home)
        length = request.bars if request.bars is not None else 4 * request.phrases
        budget = len(sampler.tokens) + length * TOKENS_PER_BAR_BUDGET
        pending = [end for end in plan.ends if end >= request.start_step] if plan is not None else []
        cadences: list[str] = []
        last_phrase, best_ending, tries = None, None, 0
        while len(sampler.tokens) < budget:
            if plan is not None and pending == [plan.final_step] and last_phrase is None:
                last_phrase = (sampler.snapshot(), list(cadences))  # where the last phrase starts
                if request.home_key is not None:  # written towards home
                    sampler.logit_bias = home_key_bias(self._pitches_per_id(), request.home_key)
            _, reached, kinds, final_step, quoted = self._draw_stretch(sampler, pending, plan, request)
            pending = [end for end in pending if end not in reached]
            cadences += [kind.split()[0] for kind in kinds]  # "authentic imperfect", "half missed": the kind
            if plan is not None and plan.final_step in reached:
                tries += 1
                final_kind = kinds[reached.index(plan.final_step)]
                cost = CADENCE_COST.get(final_kind, MISSED_COST)  # the final's own
                if best_ending is None or (quoted, cost) < best_ending[0]:  # a quoting end: the last resort
                    best_ending = ((quoted, cost), sampler.snapshot(), list(cadences), final_step, final_kind)
                if (cost == 0 and not quoted) or last_phrase is None or tries >= LAST_PHRASE_TRIES:
                    break
                sampler.restore(last_phrase[0])  # no perfect V-I at the end (or a quoted one): write it again
                pending, cadences = [plan.final_step], list(last_phrase[1])
                continue
            if plan is None and self._bars_so_far(sampler.tokens) > request.bars:
                break
        if best_ending is not None:
            sampler.restore(best_ending[1])
            cadences = best_ending[2]
            plan = plan.with_final(best_ending[3])
        final_kind = best_ending[4] if best_ending is not None else "none missed"
        return sampler.tokens, plan, tuple(cadences), final_kind, request.home_key

    def _draw_stretch(self, sampler: TokenSampler, pending: list[int], plan: PhrasePlan | None,
                      request: _Request) -> tuple[int, list[int], list[str], int | None, bool]:
        """Draw the next stretch of tokens, again while it quotes Bach, adds critic marks or misses a
        cadence; leave the sampler at the best draw and return its cadence cost, the phrase ends it
        reached, their cadences, where its final chord falls (None when it does not reach the final
        chord) and whether it quotes more than ``MAX_QUOTED_BARS`` bars in a row."""
        sampler.make_room(CHECK_EVERY_TOKENS)
        so_far = self._decoded(sampler.tokens)
        since_step = _next_onset(so_far)
        if sampler.voices is not None and so_far is not None:  # the guard spells in the key heard so far
            sampler.voices.key = estimate_key(so_far)
        key = sampler.voices.key if sampler.voices is not None else None  # the retries judge in it too
        sampler.temperature = request.temperature
        if pending and plan is not None:  # the first half of a phrase may be sampled hotter
            phrase_start = max([e + plan.beat_steps for e in plan.ends if e < pending[0]], default=0)
            if since_step - phrase_start < (pending[0] - phrase_start) / 2:
                sampler.temperature = request.opening_temperature
        best = None
        # a phrase end near: stop each draw just past it, so a redraw rewrites only the way to it
        near = pending and plan is not None and pending[0] - since_step <= NEAR_END_BARS * plan.steps_per_bar
        units_per_step = UNITS_PER_WHOLE // 4 // self.tokenizer.config.steps_per_quarter

        def past_the_end(tokens: list[int], voices: VoiceState | None) -> bool:  # the guard's reading is free
            written_to = voices.next_onset_step(units_per_step) if voices is not None \
                else self.tokenizer.next_onset_step(tokens)
            return written_to > pending[0] + 1

        avoid_quotes = request.avoid_quotes and request.follow_plan
        bars_before = self._bars_as_written(so_far, plan, None, request) if avoid_quotes else []
        limit = max(request.retries, FINAL_DRAWS_FACTOR * request.cadence_draws) + 1
        draw, satisfied = 0, False
        while draw < limit and not satisfied:  # the first draw alone, redraws side by side
            candidates = sampler.draw_candidates(1 if draw == 0 else min(REDRAW_BATCH, limit - draw),
                                                 CHECK_EVERY_TOKENS, should_stop=past_the_end if near else None,
                                                 check_every=NEAR_END_CHECK_TOKENS)
            for candidate in candidates:
                score = self._decoded(candidate[0])
                held = hold_phrase_ends(score, plan, written_to=_next_onset(score), from_step=request.start_step)[0] \
                    if score is not None and plan is not None else score  # as it will be written
                reached = [end for end in pending if _next_onset(score) > end + 1]
                judged = [self._cadence(score, end, plan, request) for end in reached]
                kinds = [kind for kind, _ in judged]
                final_step = next((step for end, (_, step) in zip(reached, judged) if end == plan.final_step), None)
                cadence_cost = sum(CADENCE_COST.get(kind, MISSED_COST) for kind in kinds)
                if near and not reached:  # stopped short of the end it was drawn to reach: not known good
                    cadence_cost = UNREACHED_COST
                moving = sum(_onsets_under(score, end, beat_steps(score)) for end in reached) if score else 0
                marks = self._marks(held, since_step, key) if request.retries else 0
                quotes = avoid_quotes and self._quotes(self._bars_as_written(score, plan, final_step, request),
                                                       bars_before)
                rank = (score is None, quotes, cadence_cost, marks, moving)  # a draw that does not decode: worst
                if best is None or rank < best[0]:
                    best = (rank, candidate, reached, kinds, final_step)
                final = plan is not None and plan.final_step in reached
                draws_allowed = request.cadence_draws * (FINAL_DRAWS_FACTOR if final else 1)
                enough_for_marks = draw >= request.retries or marks == 0
                enough_for_cadences = (score is not None and cadence_cost == 0) or draw >= draws_allowed
                draw += 1
                if enough_for_marks and enough_for_cadences and not quotes:
                    satisfied = True
                    break
        sampler.restore(best[1])
        return best[0][2], best[2], best[3], best[4], best[0][1]

    def _start(self, sampler: TokenSampler, request: _Request, plan_rng: np.random.Generator
               ) -> tuple[PhrasePlan | None, Key | None]:
        """Draw tokens until the meter and pickup are known (a note in the second full bar), then the
        plan, its phrase ends after what is written already (None when no second bar is drawn).

        A free piece seeking home draws its opening again, up to ``OPENING_DRAWS`` times, until it is
        in one of the meters Bach's phrase table plans and its first chord is its key's tonic
        (:func:`opens_on_its_tonic`); its home key is then that chord's, returned with the plan.
        When no draw opens so, the first drawn in such a meter is kept, with no home key.

        Raises
        ------
        InputError
            When no plan fits the request (a prompt that fills the bars asked for).
        """
        free = request.seek_home and request.start_step == 0
        start, fallback = sampler.snapshot(), None  # (snapshot, opening), one in Bach's meters if any was drawn
        for draw in range(1 + (OPENING_DRAWS if free else 0)):
            if draw:
                sampler.restore(start)
            score = self._first_bar(sampler)
            if score is None:  # this draw did not reach a second bar
                continue
            in_bach_meter = has_bach_meter(score.time_signature)
            if not free:
                return self._plan(score, request, plan_rng), None
            if in_bach_meter and opens_on_its_tonic(score):
                return self._plan(score, request, plan_rng), home_key(score)
            if fallback is None or (in_bach_meter and not has_bach_meter(fallback[1].time_signature)):
                fallback = (sampler.snapshot(), score)
        if fallback is None:
            return None, None
        sampler.restore(fallback[0])
        return self._plan(fallback[1], request, plan_rng), None

    def _first_bar(self, sampler: TokenSampler) -> Score | None:
        """Draw up to ``FIRST_BAR_TOKENS`` tokens, until a note starts in the second full bar; the four
        voices decoded then (None when no such note is drawn)."""
        for _ in range(FIRST_BAR_TOKENS // 8):
            score = self._decoded(sampler.tokens)
            if sampler.voices is not None and score is not None:  # the guard spells in the key heard so far
                sampler.voices.key = estimate_key(score)
            if score is not None and _next_onset(score) > score.anacrusis_steps + score.steps_per_bar:
                return score
            for _ in range(8):
                sampler.next_token()
        return None

    def _plan(self, opening: Score, request: _Request, plan_rng: np.random.Generator) -> PhrasePlan:
        """The phrase plan for a piece that opens so, its phrase ends after what is written.

        Raises
        ------
        InputError
            When no plan fits the request (a prompt that fills the bars asked for).
        """
        beat = beat_steps(opening)
        start = max(request.start_step, _next_onset(opening) + beat)
        if request.bars is not None:  # a piece of a bar or two: its final chord may be written already
            start = min(start, opening.anacrusis_steps + request.bars * opening.steps_per_bar - beat)
        try:
            return plan_phrases(opening.time_signature, opening.steps_per_bar, beat, opening.anacrusis_steps,
                                rng=plan_rng, bars=request.bars, phrases=request.phrases,
                                kept_ends=request.kept_ends, start_step=max(start, request.start_step))
        except InputError as error:  # the request leaves no room for a plan: drawing again won't help
            raise InputError(f"no phrase plan fits: {error}") from None

    def _decoded(self, tokens: list[int]) -> Score | None:
        """The four voices decoded so far (overlaps trimmed), or None while they do not decode."""
        try:
            score = make_monophonic(self.tokenizer.decode(tokens))[0]
        except Exception:  # a half-written sequence may not decode yet
            return None
        return score if score.num_voices == 4 else None

    def _cadence(self, score: Score | None, end: int, plan: PhrasePlan, request: _Request) -> tuple[str, int]:
        """The cadence at a planned phrase end, suffixed " missed" when it does not close the phrase
        (:data:`AWAY_FINAL` for a perfect final V-I on another tonic than the opening's,
        :data:`IMPERFECT_FINAL` for one on the tonic that is not perfect), and the step it closes at.

        An inner end takes any named cadence (key: the music so far). The final chord must close a
        perfect authentic cadence (:attr:`midistyle.music.cadences.Cadence.perfect`: V-I, both in
        root position, the soprano on the tonic) on the tonic of ``request.home_key`` (the opening's
        key) or, without one, of the finished piece's key, judged on the piece as it will be written
        (cut and held), so the critic reading the result agrees; it is sought at the planned step,
        then at the plan's other places for it. When none closes at home, a perfect V-I on the
        finished piece's own tonic is the next best (a piece that modulated and stayed).
        """
        if score is None:
            return "none missed", end
        if end != plan.final_step:
            try:
                cadence = cadence_at(score, end, estimate_key(score.notes_starting_between(0, end)))
            except ValueError:
                return "none missed", end
            return (cadence.kind if cadence.kind != "none" else "none missed"), end
        fallback = None  # (cost, kind, step) of the best ending that is not perfect at home
        for step in (plan.final_step, *plan.final_choices):
            if _next_onset(score) <= step + 1:  # not written yet: its chord may be incomplete
                continue
            ending = hold_phrase_ends(cut_at_step(score, plan.end_step), plan.with_final(step),
                                      from_step=request.start_step)[0]
            own_key = estimate_key(ending)
            try:
                cadence = cadence_at(ending, step, request.home_key or own_key)
                away = cadence_at(ending, step, own_key) if request.home_key not in (None, own_key) else cadence
            except ValueError:
                continue
            if cadence.perfect and cadence.on_tonic:
                return cadence.kind, step
            if away.perfect and away.on_tonic:  # a perfect V-I, on the finished piece's tonic instead
                kind = AWAY_FINAL
            elif cadence.kind == "authentic" and cadence.on_tonic and cadence.root_position:
                kind = IMPERFECT_FINAL
            else:
                kind = f"{cadence.kind} missed"
            cost = CADENCE_COST.get(kind, MISSED_COST)
            if fallback is None or cost < fallback[0]:
                fallback = (cost, kind, step)
        return fallback[1:] if fallback else ("none missed", end)

    def _marks(self, score: Score | None, since_step: int, key: Key | None = None) -> float:
        """The harmony critic's marks at onsets from ``since_step`` on (every rule but the ending's,
        which a piece still being written always breaks), judged with two bars before as context,
        each weighed by how rarely Bach breaks its rule (:func:`midistyle.music.harmony.mark_weights`).
        ``key``: the key the critic spells in (default: its estimate from that window)."""
        if score is None:
            return 0.0
        window = score.notes_starting_between(since_step - 2 * score.steps_per_bar, score.num_steps)
        window = window.replace(key=key) if key is not None else window
        weights = mark_weights()
        return sum(weights[mark.rule] for mark in critique(window).marks
                   if mark.rule not in ENDING_RULES and mark.step >= since_step)

    @staticmethod
    def _bars_as_written(score: Score | None, plan: PhrasePlan | None, final_step: int | None,
                         request: _Request) -> list[tuple | None]:
        """The bar signatures (:func:`midistyle.music.bar_quotes.bar_signatures`) of the piece so far as
        it will be written, from ``request.start_step`` on (after a prompt): every phrase end the
        music has reached held (a draw stops just past one, before its held beat is written) and,
        once the final chord is drawn (``final_step``), cut and held at the end."""
        if score is None:
            return []
        if plan is not None and final_step is not None:
            score = hold_phrase_ends(cut_at_step(score, plan.end_step), plan.with_final(final_step),
                                     from_step=request.start_step)[0]
        elif plan is not None:
            written_to = _next_onset(score)
            reached = [end + plan.beat_steps for end in plan.ends[:-1] if written_to > end + 1]
            score = hold_phrase_ends(score, plan, written_to=max([written_to, *reached]),
                                     from_step=request.start_step)[0]
        lines = score.bar_lines()
        return [s for line, s in zip(lines, bar_signatures(score)) if line >= request.start_step]

    @staticmethod
    def _quotes(bars: list[tuple | None], before: list[tuple | None]) -> bool:
        """Whether ``bars`` (:meth:`_bars_as_written` after a draw) hold a run of more than
        ``MAX_QUOTED_BARS`` consecutive bars each found in Bach's train chorales that takes in a bar
        the draw changed from ``before`` (the same before it: a bar written before may still change,
        its last notes cut short by the draw's next ones). A bar still being written counts as it
        stands."""
        changed = {i for i, bar in enumerate(bars) if i >= len(before) or bar != before[i]}
        known = [bar is not None and signature_hash(bar) in train_bar_hashes() for bar in bars]
        run_start = None
        for i, found in enumerate([*known, False]):  # each maximal run of found bars
            if found and run_start is None:
                run_start = i
            elif not found and run_start is not None:
                if i - run_start > MAX_QUOTED_BARS and changed & set(range(run_start, i)):
                    return True
                run_start = None
        return False

    def _bars_so_far(self, tokens: list[int]) -> int:
        try:
            score = self.tokenizer.decode(tokens)
        except Exception:  # a half-written sequence may not decode yet
            return 0
        return len(score.bar_lines()) - (1 if score.anacrusis_steps else 0)

    def _decode(self, tokens: list[int], request: _Request, plan: PhrasePlan | None
                ) -> tuple[Score | None, str | None]:
        try:
            score = self.tokenizer.decode(tokens)
        except Exception as error:  # miditok raises several types on illegal orders
            return None, f"tokens do not decode ({type(error).__name__})"
        missing = [v.name for v in score.voices if not v.notes]
        if missing:
            return None, f"no notes in {', '.join(missing)}"
        if request.follow_plan:
            if plan is None:
                return None, "no phrase plan: no second bar to read the meter from, or none fits it"
            if _next_onset(score) <= plan.final_step + 1:
                return None, f"stopped before the final chord (step {plan.final_step})"
            return cut_at_step(score, plan.end_step), None
        end = score.anacrusis_steps + request.bars * score.steps_per_bar
        if score.num_steps < end - score.steps_per_bar // 2:
            return None, f"only {(score.num_steps - score.anacrusis_steps) / score.steps_per_bar:.1f} bars"
        return cut_at_step(score, end), None


def opens_on_its_tonic(score: Score) -> bool:
    """Whether a piece's first chord is the tonic triad of the key of its opening (the pickup and
    the first full bar, as :func:`midistyle.music.keys.estimate_key` reads them).

    The generator asks it of a free opening once a note starts in the second full bar (every note
    of the first is written by then, REMI writing bar by bar). Bach's test chorales: 0.65
    (``python -m benchmarks chorale_prompts``).
    """
    opening = score.notes_starting_between(0, score.anacrusis_steps + score.steps_per_bar - 1)
    home = home_key(opening)
    return home is not None and home == estimate_key(opening)


def _onsets_under(score: Score | None, end: int, beat: int) -> int:
    """Notes starting within the beat after a phrase end, which holding its chord will move."""
    if score is None:
        return 0
    return sum(1 for v in score.voices for n in v.notes if end < n.onset_step < end + beat)


def _next_onset(score: Score | None) -> int:
    """The step after the last onset (0 for nothing): notes written later start there or after."""
    if score is None:
        return 0
    return max((n.onset_step + 1 for v in score.voices for n in v.notes), default=0)


def cut_at_step(score: Score, end_step: int) -> Score:
    """Notes starting before ``end_step``, shortened to end there."""
    voices = []
    for voice in score.voices:
        notes = tuple(dataclasses.replace(n, duration_steps=min(n.duration_steps, end_step - n.onset_step))
                      for n in voice.notes if n.onset_step < end_step)
        voices.append(Voice(voice.name, notes, voice.program))
    return score.replace(voices=tuple(voices))


def make_monophonic(score: Score) -> tuple[Score, int]:
    """Trim overlaps inside each voice (a chord keeps its outer note: highest in S/A, lowest in T/B).

    Returns the repaired score and how many notes were trimmed or dropped.
    """
    changed = 0
    voices = []
    for index, voice in enumerate(score.voices):
        by_onset: dict[int, Note] = {}
        for n in voice.notes:
            kept = by_onset.get(n.onset_step)
            better = kept is None or (n.pitch > kept.pitch if index < 2 else n.pitch < kept.pitch)
            by_onset[n.onset_step] = n if better else kept
            changed += kept is not None
        notes = sorted(by_onset.values())
        trimmed = []
        for a, b in zip(notes, notes[1:] + [None]):
            if b is not None and a.end_step > b.onset_step:
                a = dataclasses.replace(a, duration_steps=b.onset_step - a.onset_step)
                changed += 1
            trimmed.append(a)
        voices.append(Voice(voice.name, tuple(trimmed), voice.program))
    return score.replace(voices=tuple(voices)), changed


def transpose_to_key(score: Score, key: Key, notes: list[str], written_in: Key | None = None
                     ) -> tuple[Score, int]:
    """Move the score so its tonic becomes ``key``'s (-6..+5 semitones), and write it in that key;
    the mode stays. ``written_in``: the key it is in (as its final cadence was judged), else the
    detected one (and, when the modes differ, no key: the caller estimates it on the moved piece).
    Returns the moved score and the shift in semitones."""
    from midistyle.models.harmonizer_data import detect_key

    known = written_in is not None
    if not known:
        merged = score.replace(voices=(Voice("all", tuple(n for v in score.voices for n in v.notes)),))
        written_in = detect_key(merged)
    shift = (key.tonic_pitch_class - written_in.tonic_pitch_class + 6) % 12 - 6
    moved = score.transpose(shift)
    if written_in.mode != key.mode:
        notes.append(f"generated in {written_in}; moved by {shift:+d} semitones, its mode kept")
        # a detected key may be read otherwise in the moved piece: the caller estimates it again
        written = key_of_tonic(written_in.tonic_pitch_class + shift, written_in.mode)
        return (moved.replace(key=written) if known else moved), shift
    return moved.replace(key=key), shift
