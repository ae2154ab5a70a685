import type jexl from 'jexl'

/** A private jexl instance. */
export type Jexl = InstanceType<typeof jexl.Jexl>
/** A compiled jexl expression. */
export type Expression = ReturnType<Jexl['compile']>
/** A node of jexl's syntax tree. */
export type Ast = ReturnType<Expression['_getAst']>
