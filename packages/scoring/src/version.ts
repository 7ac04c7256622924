/** Version of the scoring rules and numerics; bump whenever any reported number could change. */
export const SCORER_VERSION = '1.0.0'
