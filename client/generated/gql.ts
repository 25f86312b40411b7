/* eslint-disable */
import * as types from './graphql.js';
import type { TypedDocumentNode as DocumentNode } from '@graphql-typed-document-node/core';

/**
 * Map of all GraphQL operations in the project.
 *
 * This map has several performance disadvantages:
 * 1. It is not tree-shakeable, so it will include all operations in the project.
 * 2. It is not minifiable, so the string of a GraphQL query will be multiple times inside the bundle.
 * 3. It does not support dead code elimination, so it will add unused operations.
 *
 * Therefore it is highly recommended to use the babel or swc plugin for production.
 * Learn more about it here: https://the-guild.dev/graphql/codegen/plugins/presets/preset-client#reducing-bundle-size
 */
type Documents = {
    "query Dashboard {\n  me {\n    id\n    name\n    orders(first: 20) {\n      id\n      status\n      createdAt\n      total {\n        formatted\n      }\n      lines {\n        quantity\n        unitPrice {\n          formatted\n        }\n        product {\n          id\n          name\n          price {\n            formatted\n          }\n          rating {\n            average\n            count\n          }\n          reviews {\n            id\n            rating\n            title\n            author\n          }\n        }\n      }\n      payment {\n        id\n        status\n      }\n    }\n  }\n}": typeof types.DashboardDocument,
    "mutation PayOrder($orderId: ID!) {\n  payOrder(orderId: $orderId) {\n    id\n    status\n    clientSecret\n    amount {\n      amount\n      currency\n      formatted\n    }\n  }\n}": typeof types.PayOrderDocument,
    "mutation PlaceOrder($input: PlaceOrderInput!) {\n  placeOrder(input: $input) {\n    id\n    status\n    createdAt\n    total {\n      amount\n      currency\n      formatted\n    }\n    lines {\n      productId\n      quantity\n      unitPrice {\n        formatted\n      }\n    }\n  }\n}": typeof types.PlaceOrderDocument,
    "query ProductPage($id: ID!) {\n  product(id: $id) {\n    id\n    name\n    description\n    imageUrl\n    inStock\n    price {\n      amount\n      currency\n      formatted\n    }\n    rating {\n      average\n      count\n    }\n    reviews(first: 10) {\n      id\n      rating\n      title\n      body\n      author\n      createdAt\n    }\n  }\n}": typeof types.ProductPageDocument,
    "query SearchProducts($query: String!, $first: Int, $after: String) {\n  searchProducts(query: $query, first: $first, after: $after) {\n    nodes {\n      id\n      name\n      imageUrl\n      inStock\n      price {\n        formatted\n      }\n      rating {\n        average\n        count\n      }\n    }\n    pageInfo {\n      hasNextPage\n      endCursor\n    }\n  }\n}": typeof types.SearchProductsDocument,
    "query SignInState {\n  me {\n    id\n    name\n    email\n  }\n}": typeof types.SignInStateDocument,
};
const documents: Documents = {
    "query Dashboard {\n  me {\n    id\n    name\n    orders(first: 20) {\n      id\n      status\n      createdAt\n      total {\n        formatted\n      }\n      lines {\n        quantity\n        unitPrice {\n          formatted\n        }\n        product {\n          id\n          name\n          price {\n            formatted\n          }\n          rating {\n            average\n            count\n          }\n          reviews {\n            id\n            rating\n            title\n            author\n          }\n        }\n      }\n      payment {\n        id\n        status\n      }\n    }\n  }\n}": types.DashboardDocument,
    "mutation PayOrder($orderId: ID!) {\n  payOrder(orderId: $orderId) {\n    id\n    status\n    clientSecret\n    amount {\n      amount\n      currency\n      formatted\n    }\n  }\n}": types.PayOrderDocument,
    "mutation PlaceOrder($input: PlaceOrderInput!) {\n  placeOrder(input: $input) {\n    id\n    status\n    createdAt\n    total {\n      amount\n      currency\n      formatted\n    }\n    lines {\n      productId\n      quantity\n      unitPrice {\n        formatted\n      }\n    }\n  }\n}": types.PlaceOrderDocument,
    "query ProductPage($id: ID!) {\n  product(id: $id) {\n    id\n    name\n    description\n    imageUrl\n    inStock\n    price {\n      amount\n      currency\n      formatted\n    }\n    rating {\n      average\n      count\n    }\n    reviews(first: 10) {\n      id\n      rating\n      title\n      body\n      author\n      createdAt\n    }\n  }\n}": types.ProductPageDocument,
    "query SearchProducts($query: String!, $first: Int, $after: String) {\n  searchProducts(query: $query, first: $first, after: $after) {\n    nodes {\n      id\n      name\n      imageUrl\n      inStock\n      price {\n        formatted\n      }\n      rating {\n        average\n        count\n      }\n    }\n    pageInfo {\n      hasNextPage\n      endCursor\n    }\n  }\n}": types.SearchProductsDocument,
    "query SignInState {\n  me {\n    id\n    name\n    email\n  }\n}": types.SignInStateDocument,
};

/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 *
 *
 * @example
 * ```ts
 * const query = graphql(`query GetUser($id: ID!) { user(id: $id) { name } }`);
 * ```
 *
 * The query argument is unknown!
 * Please regenerate the types.
 */
export function graphql(source: string): unknown;

/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "query Dashboard {\n  me {\n    id\n    name\n    orders(first: 20) {\n      id\n      status\n      createdAt\n      total {\n        formatted\n      }\n      lines {\n        quantity\n        unitPrice {\n          formatted\n        }\n        product {\n          id\n          name\n          price {\n            formatted\n          }\n          rating {\n            average\n            count\n          }\n          reviews {\n            id\n            rating\n            title\n            author\n          }\n        }\n      }\n      payment {\n        id\n        status\n      }\n    }\n  }\n}"): (typeof documents)["query Dashboard {\n  me {\n    id\n    name\n    orders(first: 20) {\n      id\n      status\n      createdAt\n      total {\n        formatted\n      }\n      lines {\n        quantity\n        unitPrice {\n          formatted\n        }\n        product {\n          id\n          name\n          price {\n            formatted\n          }\n          rating {\n            average\n            count\n          }\n          reviews {\n            id\n            rating\n            title\n            author\n          }\n        }\n      }\n      payment {\n        id\n        status\n      }\n    }\n  }\n}"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "mutation PayOrder($orderId: ID!) {\n  payOrder(orderId: $orderId) {\n    id\n    status\n    clientSecret\n    amount {\n      amount\n      currency\n      formatted\n    }\n  }\n}"): (typeof documents)["mutation PayOrder($orderId: ID!) {\n  payOrder(orderId: $orderId) {\n    id\n    status\n    clientSecret\n    amount {\n      amount\n      currency\n      formatted\n    }\n  }\n}"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "mutation PlaceOrder($input: PlaceOrderInput!) {\n  placeOrder(input: $input) {\n    id\n    status\n    createdAt\n    total {\n      amount\n      currency\n      formatted\n    }\n    lines {\n      productId\n      quantity\n      unitPrice {\n        formatted\n      }\n    }\n  }\n}"): (typeof documents)["mutation PlaceOrder($input: PlaceOrderInput!) {\n  placeOrder(input: $input) {\n    id\n    status\n    createdAt\n    total {\n      amount\n      currency\n      formatted\n    }\n    lines {\n      productId\n      quantity\n      unitPrice {\n        formatted\n      }\n    }\n  }\n}"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "query ProductPage($id: ID!) {\n  product(id: $id) {\n    id\n    name\n    description\n    imageUrl\n    inStock\n    price {\n      amount\n      currency\n      formatted\n    }\n    rating {\n      average\n      count\n    }\n    reviews(first: 10) {\n      id\n      rating\n      title\n      body\n      author\n      createdAt\n    }\n  }\n}"): (typeof documents)["query ProductPage($id: ID!) {\n  product(id: $id) {\n    id\n    name\n    description\n    imageUrl\n    inStock\n    price {\n      amount\n      currency\n      formatted\n    }\n    rating {\n      average\n      count\n    }\n    reviews(first: 10) {\n      id\n      rating\n      title\n      body\n      author\n      createdAt\n    }\n  }\n}"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "query SearchProducts($query: String!, $first: Int, $after: String) {\n  searchProducts(query: $query, first: $first, after: $after) {\n    nodes {\n      id\n      name\n      imageUrl\n      inStock\n      price {\n        formatted\n      }\n      rating {\n        average\n        count\n      }\n    }\n    pageInfo {\n      hasNextPage\n      endCursor\n    }\n  }\n}"): (typeof documents)["query SearchProducts($query: String!, $first: Int, $after: String) {\n  searchProducts(query: $query, first: $first, after: $after) {\n    nodes {\n      id\n      name\n      imageUrl\n      inStock\n      price {\n        formatted\n      }\n      rating {\n        average\n        count\n      }\n    }\n    pageInfo {\n      hasNextPage\n      endCursor\n    }\n  }\n}"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "query SignInState {\n  me {\n    id\n    name\n    email\n  }\n}"): (typeof documents)["query SignInState {\n  me {\n    id\n    name\n    email\n  }\n}"];

export function graphql(source: string) {
  return (documents as any)[source] ?? {};
}

export type DocumentType<TDocumentNode extends DocumentNode<any, any>> = TDocumentNode extends DocumentNode<  infer TType,  any>  ? TType  : never;