;; The heap's atomic operations in WebAssembly (see heap/atomics.ts for why).
;;
;; `npm run build:wasm` turns this file into heap/atomics-wasm.ts; a test checks that the two
;; agree. Every atomic instruction here is sequentially consistent, as JavaScript's Atomics
;; are, and plain loads (i32.load) are the unordered loads of the same memory model that a
;; plain typed-array read is: the two languages share one memory model over shared memory.
;;
;; Arguments named `index` are 32-bit word indices (the Int32Array index the JavaScript side
;; uses); arguments named `...Byte` and object addresses are byte offsets.
(module
  (import "heap" "memory" (memory 0 65536 shared))
  ;; Test hook of the hash-table walk (readerDelayForTesting): phase 0 = between reading a
  ;; node's key and its next pointer, 1 = after a match, before the reference is taken.
  (import "heap" "lookupDelay" (func $lookupDelay (param i32)))

  (func (export "load") (param $index i32) (result i32)
    (i32.atomic.load (i32.shl (local.get $index) (i32.const 2))))

  (func (export "store") (param $index i32) (param $value i32)
    (i32.atomic.store (i32.shl (local.get $index) (i32.const 2)) (local.get $value)))

  ;; compareExchange: returns the value found (the exchange happened if it equals $expected).
  (func (export "cas") (param $index i32) (param $expected i32) (param $replacement i32) (result i32)
    (i32.atomic.rmw.cmpxchg (i32.shl (local.get $index) (i32.const 2)) (local.get $expected) (local.get $replacement)))

  ;; exchange: returns the old value.
  (func (export "xchg") (param $index i32) (param $value i32) (result i32)
    (i32.atomic.rmw.xchg (i32.shl (local.get $index) (i32.const 2)) (local.get $value)))

  ;; Atomic stores by byte address, of each scalar width: the setters of type-stable structs'
  ;; fields (struct-object.ts, atomicSetter(), says why). The value conversions are the typed
  ;; arrays' (ToInt32 and truncation for integers, rounding to float32 for f32).
  (func (export "store8") (param $byte i32) (param $value i32)
    (i32.atomic.store8 (local.get $byte) (local.get $value)))
  (func (export "store16") (param $byte i32) (param $value i32)
    (i32.atomic.store16 (local.get $byte) (local.get $value)))
  (func (export "storeF32") (param $byte i32) (param $value f32)
    (i32.atomic.store (local.get $byte) (i32.reinterpret_f32 (local.get $value))))
  (func (export "storeF64") (param $byte i32) (param $value f64)
    (i64.atomic.store (local.get $byte) (i64.reinterpret_f64 (local.get $value))))
  (func (export "storeI64") (param $byte i32) (param $value i64)
    (i64.atomic.store (local.get $byte) (local.get $value)))

  ;; The outermost rcuReadLock(): copy the grace-period counter into the reader's slot. Both
  ;; accesses are atomic; the store is what orders the section's loads after it (rcu/read-side.ts).
  (func $rcuEnter (export "rcuEnter") (param $ctrIndex i32) (param $gpIndex i32)
    (i32.atomic.store
      (i32.shl (local.get $ctrIndex) (i32.const 2))
      (i32.atomic.load (i32.shl (local.get $gpIndex) (i32.const 2)))))

  ;; The outermost rcuReadUnlock(): clear the reader's slot with one exchange, and wake the
  ;; grace periods sleeping on it when the old value carries WAIT_BIT (2, rcu/read-side.ts). This
  ;; notify wakes JavaScript's Atomics.wait on the same word: both use the same wait queues.
  (func $rcuExit (export "rcuExit") (param $ctrIndex i32)
    (local $at i32)
    (local.set $at (i32.shl (local.get $ctrIndex) (i32.const 2)))
    (if (i32.and (i32.atomic.rmw.xchg (local.get $at) (i32.const 0)) (i32.const 2))
      (then (drop (memory.atomic.notify (local.get $at) (i32.const -1))))))

  ;; refcountIncNotZero: returns the count before the increment. 0: nothing taken; negative or
  ;; at least $max: nothing taken, the word is corrupt or saturated (the caller throws);
  ;; otherwise the reference is taken.
  (func $incNotZero (export "incNotZero") (param $index i32) (param $max i32) (result i32)
    (local $at i32) (local $v i32) (local $seen i32)
    (local.set $at (i32.shl (local.get $index) (i32.const 2)))
    (local.set $v (i32.atomic.load (local.get $at)))
    (loop $retry
      (if (i32.eqz (local.get $v)) (then (return (i32.const 0))))
      (if (i32.or (i32.lt_s (local.get $v) (i32.const 0)) (i32.ge_s (local.get $v) (local.get $max)))
        (then (return (local.get $v))))
      (local.set $seen
        (i32.atomic.rmw.cmpxchg (local.get $at) (local.get $v) (i32.add (local.get $v) (i32.const 1))))
      (if (i32.eq (local.get $seen) (local.get $v)) (then (return (local.get $v))))
      (local.set $v (local.get $seen))
      (br $retry))
    (unreachable))

  ;; refcountDecAndTest: returns the count before the decrement. At most 0: nothing changed
  ;; (the caller throws); 1: this dropped the last reference.
  (func (export "decAndTest") (param $index i32) (result i32)
    (local $at i32) (local $v i32) (local $seen i32)
    (local.set $at (i32.shl (local.get $index) (i32.const 2)))
    (local.set $v (i32.atomic.load (local.get $at)))
    (loop $retry
      (if (i32.le_s (local.get $v) (i32.const 0)) (then (return (local.get $v))))
      (local.set $seen
        (i32.atomic.rmw.cmpxchg (local.get $at) (local.get $v) (i32.sub (local.get $v) (i32.const 1))))
      (if (i32.eq (local.get $seen) (local.get $v)) (then (return (local.get $v))))
      (local.set $v (local.get $seen))
      (br $retry))
    (unreachable))

  ;; One attempt of the hash table's lockless lookup (hash/rcu-hash-table.ts, #lookupAttempt(),
  ;; says why each step is there), inside a read-side section: the caller's, or (flag 8) one
  ;; of its own.
  ;; Returns:
  ;;   an object address (a multiple of 4): found, its reference taken;
  ;;   that address + 1: the reference was taken but the key re-check failed (reused object):
  ;;     the caller drops the reference and tries again;
  ;;   0: a true miss;
  ;;   -1: refcountIncNotZero failed; -2: a writer changed the bucket during a miss;
  ;;   -3: the walk ended on another bucket's marker; -4: the walk went on past $maxSteps;
  ;;   -5: the refcount word is corrupt or saturated (the caller throws).
  ;; $flags: 1 = skip the key re-check, 2 = accept any marker as a true miss (both test-only
  ;; breakages), 4 = call the lookupDelay hook, 8 = run the attempt in a read-side section of
  ;; its own (rcuEnter and rcuExit on $ctrIndex, $gpIndex), for a caller outside any.
  (func (export "hashLookup")
    (param $headByte i32) (param $seqByte i32) (param $key i32)
    (param $keyOffset i32) (param $nodeOffset i32) (param $refOffset i32)
    (param $maxSteps i32) (param $homeMarker i32) (param $flags i32) (param $refMax i32)
    (param $ctrIndex i32) (param $gpIndex i32)
    (result i32)
    (local $result i32)
    (if (i32.and (local.get $flags) (i32.const 8))
      (then (call $rcuEnter (local.get $ctrIndex) (local.get $gpIndex))))
    (local.set $result
      (call $hashLookupAttempt
        (local.get $headByte) (local.get $seqByte) (local.get $key)
        (local.get $keyOffset) (local.get $nodeOffset) (local.get $refOffset)
        (local.get $maxSteps) (local.get $homeMarker) (local.get $flags) (local.get $refMax)))
    (if (i32.and (local.get $flags) (i32.const 8))
      (then (call $rcuExit (local.get $ctrIndex))))
    (local.get $result))

  (func $hashLookupAttempt
    (param $headByte i32) (param $seqByte i32) (param $key i32)
    (param $keyOffset i32) (param $nodeOffset i32) (param $refOffset i32)
    (param $maxSteps i32) (param $homeMarker i32) (param $flags i32) (param $refMax i32)
    (result i32)
    (local $seq i32) (local $pos i32) (local $object i32) (local $found i32) (local $steps i32) (local $old i32)
    ;; Before the head: pairs with the replace sequence bump in #publish() (hash/table-writer.ts).
    (local.set $seq (i32.atomic.load (local.get $seqByte)))
    ;; rcu_dereference(head).
    (local.set $pos (i32.atomic.load (local.get $headByte)))
    (block $walked
      (loop $walk
        ;; A marker (odd) ends the chain.
        (br_if $walked (i32.and (local.get $pos) (i32.const 1)))
        (local.set $object (i32.sub (local.get $pos) (local.get $nodeOffset)))
        ;; The racy key read: it only decides where to try.
        (if (i32.eq (i32.load (i32.add (local.get $object) (local.get $keyOffset))) (local.get $key))
          (then
            (local.set $found (local.get $object))
            (br $walked)))
        (if (i32.and (local.get $flags) (i32.const 4)) (then (call $lookupDelay (i32.const 0))))
        ;; rcu_dereference(node->next).
        (local.set $pos (i32.atomic.load (local.get $pos)))
        (local.set $steps (i32.add (local.get $steps) (i32.const 1)))
        (br_if $walked (i32.gt_u (local.get $steps) (local.get $maxSteps)))
        (br $walk)))
    (if (local.get $found)
      (then
        (if (i32.and (local.get $flags) (i32.const 4)) (then (call $lookupDelay (i32.const 1))))
        (local.set $old
          (call $incNotZero
            (i32.shr_u (i32.add (local.get $found) (local.get $refOffset)) (i32.const 2))
            (local.get $refMax)))
        (if (i32.eqz (local.get $old)) (then (return (i32.const -1))))
        (if (i32.or (i32.lt_s (local.get $old) (i32.const 0)) (i32.ge_s (local.get $old) (local.get $refMax)))
          (then (return (i32.const -5))))
        ;; The re-check: plain, ordered by the compareExchange's happens-before (see
        ;; lookupAddress()).
        (if (i32.and
              (i32.eqz (i32.and (local.get $flags) (i32.const 1)))
              (i32.ne (i32.load (i32.add (local.get $found) (local.get $keyOffset))) (local.get $key)))
          (then (return (i32.add (local.get $found) (i32.const 1)))))
        (return (local.get $found))))
    ;; Flag 2 trusts wherever the walk ended: no nulls check, and no sequence re-check either,
    ;; which since every writer bumps the sequence catches a walk carried off its chain too.
    (if (i32.and (i32.ne (i32.and (local.get $flags) (i32.const 2)) (i32.const 0)) (i32.and (local.get $pos) (i32.const 1)))
      (then (return (i32.const 0))))
    (if (i32.eq (local.get $pos) (local.get $homeMarker))
      (then
        (if (i32.eq (i32.atomic.load (local.get $seqByte)) (local.get $seq)) (then (return (i32.const 0))))
        (return (i32.const -2))))
    (if (i32.and (local.get $pos) (i32.const 1)) (then (return (i32.const -3))))
    (i32.const -4))

  ;; What the last hashRead() came to, for readStatus(): 1 found, 0 a true miss, -1 try
  ;; again. A global of this instance, so of this thread only: a hashRead() and the
  ;; readStatus() after it cannot be interleaved with another thread's.
  (global $readStatus (mut i32) (i32.const 0))
  (func (export "readStatus") (result i32) (global.get $readStatus))

  ;; One attempt of RcuHashTable.read() (hash/rcu-hash-table.ts says why each step is there,
  ;; and why its first attempt needs no read-side section): find the object with $key in the
  ;; chain at $headByte and read one field at $fieldOffset, taking no reference, validated by
  ;; the bucket's sequence word at $seqByte.
  ;; $fieldKind: 0 i32, 1 u32, 2 f64, 3 f32, 4 i8, 5 u8, 6 i16, 7 u16.
  ;; $flags: 1 = skip the validation (test-only breakage), 4 = call the lookupDelay hook.
  ;; Returns the field's value when found, NaN otherwise, and sets readStatus(): 1 found (the
  ;; caller asks only when the value is NaN, so a found value costs one call); 0 a true miss;
  ;; -1: a writer ran in the bucket meanwhile (or was running), or the walk ended on another
  ;; bucket's marker or went on past $maxSteps: try again. Outside a read-side section, a walk
  ;; over memory reused for something else may trap (a load out of bounds or misaligned),
  ;; which the caller takes as a -1.
  (func (export "hashRead")
    (param $headByte i32) (param $seqByte i32) (param $key i32)
    (param $keyOffset i32) (param $nodeOffset i32) (param $fieldOffset i32) (param $fieldKind i32)
    (param $maxSteps i32) (param $homeMarker i32) (param $flags i32)
    (result f64)
    (local $seq i32) (local $pos i32) (local $object i32) (local $found i32) (local $steps i32)
    (local $at i32) (local $value f64)
    (global.set $readStatus (i32.const -1))
    ;; Odd: a writer is changing the chain now.
    (local.set $seq (i32.atomic.load (local.get $seqByte)))
    (if (i32.and (local.get $seq) (i32.const 1)) (then (return (f64.const nan))))
    (local.set $pos (i32.atomic.load (local.get $headByte)))
    (block $walked
      (loop $walk
        (br_if $walked (i32.and (local.get $pos) (i32.const 1)))
        (local.set $object (i32.sub (local.get $pos) (local.get $nodeOffset)))
        (if (i32.eq (i32.atomic.load (i32.add (local.get $object) (local.get $keyOffset))) (local.get $key))
          (then
            (local.set $found (local.get $object))
            (br $walked)))
        (if (i32.and (local.get $flags) (i32.const 4)) (then (call $lookupDelay (i32.const 0))))
        (local.set $pos (i32.atomic.load (local.get $pos)))
        (local.set $steps (i32.add (local.get $steps) (i32.const 1)))
        (br_if $walked (i32.gt_u (local.get $steps) (local.get $maxSteps)))
        (br $walk)))
    (if (local.get $found)
      (then
        (if (i32.and (local.get $flags) (i32.const 4)) (then (call $lookupDelay (i32.const 1))))
        ;; The field, by one atomic load of its width: whole, never torn.
        (local.set $at (i32.add (local.get $found) (local.get $fieldOffset)))
        (block $loaded
          (block $u16 (block $i16 (block $u8 (block $i8 (block $f32 (block $f64 (block $u32 (block $i32
            (br_table $i32 $u32 $f64 $f32 $i8 $u8 $i16 $u16 $i32 (local.get $fieldKind)))
            (local.set $value (f64.convert_i32_s (i32.atomic.load (local.get $at)))) (br $loaded))
            (local.set $value (f64.convert_i32_u (i32.atomic.load (local.get $at)))) (br $loaded))
            (local.set $value (f64.reinterpret_i64 (i64.atomic.load (local.get $at)))) (br $loaded))
            (local.set $value (f64.promote_f32 (f32.reinterpret_i32 (i32.atomic.load (local.get $at))))) (br $loaded))
            (local.set $value (f64.convert_i32_s (i32.extend8_s (i32.atomic.load8_u (local.get $at))))) (br $loaded))
            (local.set $value (f64.convert_i32_u (i32.atomic.load8_u (local.get $at)))) (br $loaded))
            (local.set $value (f64.convert_i32_s (i32.extend16_s (i32.atomic.load16_u (local.get $at))))) (br $loaded))
          (local.set $value (f64.convert_i32_u (i32.atomic.load16_u (local.get $at)))))
        ;; The validation: no writer began in the bucket since $seq was read.
        (if (i32.and
              (i32.eqz (i32.and (local.get $flags) (i32.const 1)))
              (i32.ne (i32.atomic.load (local.get $seqByte)) (local.get $seq)))
          (then (return (f64.const nan))))
        (global.set $readStatus (i32.const 1))
        (return (local.get $value))))
    (if (i32.ne (local.get $pos) (local.get $homeMarker)) (then (return (f64.const nan))))
    (if (i32.ne (i32.atomic.load (local.get $seqByte)) (local.get $seq)) (then (return (f64.const nan))))
    (global.set $readStatus (i32.const 0))
    (f64.const nan))
)
