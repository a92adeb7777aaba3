// SPDX-License-Identifier: MIT
pragma solidity ^0.8.20;

import "./AccessRoles.sol";

/// USD prices (18 decimals) per collateral token, with the time of the last
/// update. getLatestPrice is what the runbook's staleness check reads;
/// getPrice is what BorrowModule uses and refuses stale data.
contract PriceOracle is AccessRoles {
    bytes32 public constant UPDATER_ROLE = keccak256("UPDATER_ROLE");

    struct Feed {
        uint256 price;
        uint256 updatedAt;
    }

    mapping(address => Feed) private _feeds;
    uint256 public maxStaleness = 1 hours;

    event PriceUpdated(address indexed token, uint256 price, uint256 updatedAt);
    event MaxStalenessUpdated(uint256 oldValue, uint256 newValue);

    constructor() {
        _grantRole(UPDATER_ROLE, msg.sender);
    }

    function getLatestPrice(address token) public view returns (uint256 price, uint256 updatedAt) {
        Feed memory f = _feeds[token];
        require(f.updatedAt != 0, "PriceOracle: no price for token");
        return (f.price, f.updatedAt);
    }

    function isStale(address token) public view returns (bool) {
        (, uint256 updatedAt) = getLatestPrice(token);
        return block.timestamp - updatedAt > maxStaleness;
    }

    function getPrice(address token) external view returns (uint256) {
        require(!isStale(token), "PriceOracle: stale price");
        return _feeds[token].price;
    }

    function setPrice(address token, uint256 price) external {
        require(hasRole(UPDATER_ROLE, msg.sender), "AccessControl: not price updater");
        _setFeed(token, price, block.timestamp);
    }

    /// Simulation hook: record a price as of an earlier time (stale feed).
    function setPriceAt(address token, uint256 price, uint256 updatedAt) external onlyAdmin {
        require(updatedAt != 0 && updatedAt <= block.timestamp, "PriceOracle: bad timestamp");
        _setFeed(token, price, updatedAt);
    }

    function setMaxStaleness(uint256 seconds_) external onlyAdmin {
        emit MaxStalenessUpdated(maxStaleness, seconds_);
        maxStaleness = seconds_;
    }

    function _setFeed(address token, uint256 price, uint256 updatedAt) private {
        require(price > 0, "PriceOracle: zero price");
        _feeds[token] = Feed(price, updatedAt);
        emit PriceUpdated(token, price, updatedAt);
    }
}
